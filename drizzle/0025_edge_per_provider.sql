CREATE TABLE "edge_provider_configs" (
	"provider" text PRIMARY KEY NOT NULL,
	"fingerprint" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "edge_publications" ADD COLUMN "applied_fqdn" text;--> statement-breakpoint
-- What was applied was applied under the row's name.
UPDATE "edge_publications" SET "applied_fqdn" = "fqdn" WHERE "applied_hash" IS NOT NULL OR "next_attempt_at" IS NOT NULL;
