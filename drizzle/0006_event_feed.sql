ALTER TABLE "events" ADD COLUMN "xid" "xid8" DEFAULT pg_current_xact_id() NOT NULL;--> statement-breakpoint
CREATE INDEX "events_feed_idx" ON "events" USING btree ("xid","id");--> statement-breakpoint
CREATE INDEX "events_server_feed_idx" ON "events" USING btree ("server_id","xid","id");