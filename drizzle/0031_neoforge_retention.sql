CREATE TABLE "neoforge_build_claims" (
	"customer_id" text NOT NULL,
	"game" text NOT NULL,
	"neoforge_version" text NOT NULL,
	"claimed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "neoforge_build_claims_pkey" PRIMARY KEY("customer_id","game","neoforge_version")
);
--> statement-breakpoint
ALTER TABLE "neoforge_files" ADD COLUMN "used_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "neoforge_installs" ADD COLUMN "used_at" timestamp with time zone DEFAULT now() NOT NULL;