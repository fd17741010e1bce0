ALTER TABLE "server_changes" ADD COLUMN "status" text;--> statement-breakpoint
ALTER TABLE "server_changes" ADD COLUMN "reason" text;--> statement-breakpoint
ALTER TABLE "server_changes" ADD COLUMN "ended_at" timestamp with time zone;--> statement-breakpoint
-- A change recorded before this migration: how it ended is in its event (server.change_applied, _rolled_back, _failed).
UPDATE "server_changes" c SET "status" = substr(e."type", 15), "reason" = e."data"->>'reason', "ended_at" = e."at"
  FROM "events" e
  WHERE e."server_id" = c."server_id" AND e."type" in ('server.change_applied', 'server.change_rolled_back', 'server.change_failed')
    AND (e."data"->>'generation')::int = c."generation";--> statement-breakpoint
-- One still in progress: the server holds where it is.
UPDATE "server_changes" c SET "status" = s."change_status", "reason" = s."change_reason"
  FROM "servers" s
  WHERE c."status" IS NULL AND s."id" = c."server_id" AND s."change_generation" = c."generation" AND s."change_status" IS NOT NULL;--> statement-breakpoint
UPDATE "server_changes" SET "status" = 'failed', "reason" = 'how this change ended was not recorded', "ended_at" = "created_at" WHERE "status" IS NULL;--> statement-breakpoint
ALTER TABLE "server_changes" ADD CONSTRAINT "server_changes_status_valid" CHECK ("server_changes"."status" in ('resolving', 'applying', 'applied', 'rolled_back', 'failed'));
