ALTER TABLE "drift_items" ADD COLUMN "acknowledged_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "drift_items" ADD COLUMN "acknowledged_by" text;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "position" bigint;--> statement-breakpoint
-- The events already there take their place in the order the feed served them: (xid, id).
UPDATE "events" e SET "position" = n.position FROM (SELECT id, row_number() OVER (ORDER BY xid, id) AS position FROM "events") n WHERE e.id = n.id;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "last_error" jsonb;--> statement-breakpoint
CREATE UNIQUE INDEX "events_position_key" ON "events" USING btree ("position");--> statement-breakpoint
CREATE INDEX "events_unsequenced_idx" ON "events" USING btree ("xid","id") WHERE "events"."position" is null;--> statement-breakpoint
CREATE INDEX "events_server_position_idx" ON "events" USING btree ("server_id","position");