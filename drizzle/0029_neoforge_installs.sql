CREATE TABLE "neoforge_files" (
	"sha512" text PRIMARY KEY NOT NULL,
	"size" integer NOT NULL,
	"data" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "neoforge_installs" (
	"game" text NOT NULL,
	"neoforge_version" text NOT NULL,
	"installer_sha512" text NOT NULL,
	"files" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "neoforge_installs_pkey" PRIMARY KEY("game","neoforge_version")
);
