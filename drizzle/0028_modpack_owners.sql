CREATE TABLE "modpack_contents" (
	"sha512" text PRIMARY KEY NOT NULL,
	"contents" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "modpack_upload_owners" (
	"customer_id" text NOT NULL,
	"sha512" text NOT NULL,
	"caller_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "modpack_upload_owners_customer_id_sha512_pk" PRIMARY KEY("customer_id","sha512")
);
--> statement-breakpoint
ALTER TABLE "modpack_upload_owners" ADD CONSTRAINT "modpack_upload_owners_upload_fk" FOREIGN KEY ("sha512") REFERENCES "public"."modpack_uploads"("sha512") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "modpack_upload_owners_sha512_idx" ON "modpack_upload_owners" USING btree ("sha512");