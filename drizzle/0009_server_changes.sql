CREATE TABLE "server_changes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"server_id" uuid NOT NULL,
	"caller_id" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"request_hash" text NOT NULL,
	"generation" integer NOT NULL,
	"changes" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "requested_manifest" jsonb;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "previous_manifest" jsonb;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "change_generation" integer;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "change_status" text;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "change_reason" text;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "previous_config" jsonb;--> statement-breakpoint
ALTER TABLE "server_changes" ADD CONSTRAINT "server_changes_server_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "server_changes_caller_key" ON "server_changes" USING btree ("caller_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "server_changes_server_idx" ON "server_changes" USING btree ("server_id","generation");--> statement-breakpoint
ALTER TABLE "servers" ADD CONSTRAINT "servers_change_status_valid" CHECK ("servers"."change_status" is null or "servers"."change_status" in ('resolving', 'applying', 'applied', 'rolled_back', 'failed'));