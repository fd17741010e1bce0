CREATE TABLE "edge_drift" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"fqdn" text NOT NULL,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"detected_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "edge_publications" (
	"server_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"fqdn" text NOT NULL,
	"desired_hash" text,
	"applied_hash" text,
	"applied_at" timestamp with time zone,
	"verified_at" timestamp with time zone,
	"last_error_code" text,
	"last_error" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	CONSTRAINT "edge_publications_server_id_provider_pk" PRIMARY KEY("server_id","provider")
);
--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "edge_dirty_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "edge_hold_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "reachable" jsonb;--> statement-breakpoint
ALTER TABLE "edge_publications" ADD CONSTRAINT "edge_publications_server_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "edge_drift_open_key" ON "edge_drift" USING btree ("provider","fqdn") WHERE "edge_drift"."resolved_at" is null;--> statement-breakpoint
CREATE INDEX "edge_publications_due_idx" ON "edge_publications" USING btree ("next_attempt_at") WHERE "edge_publications"."next_attempt_at" is not null;--> statement-breakpoint
CREATE INDEX "servers_edge_dirty_idx" ON "servers" USING btree ("edge_dirty_at") WHERE "servers"."edge_dirty_at" is not null;--> statement-breakpoint
-- Every write that changes what a server's edge is derived from marks it dirty in the same statement, whatever
-- code path makes it: the edge pass then reads only the dirty ones.
CREATE FUNCTION servers_mark_edge_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status OR NEW.desired_state IS DISTINCT FROM OLD.desired_state
     OR NEW.address IS DISTINCT FROM OLD.address OR NEW.game_port IS DISTINCT FROM OLD.game_port OR NEW.vmid IS DISTINCT FROM OLD.vmid THEN
    NEW.edge_dirty_at := clock_timestamp();
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER servers_edge_dirty BEFORE INSERT OR UPDATE ON "servers" FOR EACH ROW EXECUTE FUNCTION servers_mark_edge_dirty();
--> statement-breakpoint
-- Servers from before the edge was reconciled are published by the first pass.
UPDATE "servers" SET "edge_dirty_at" = now() WHERE "status" <> 'deleted';
