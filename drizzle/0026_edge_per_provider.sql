CREATE TABLE "edge_provider_configs" (
	"provider" text PRIMARY KEY NOT NULL,
	"fingerprint" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "edge_publications" ADD COLUMN "applied_fqdn" text;--> statement-breakpoint
-- What was applied was applied under the row's name.
UPDATE "edge_publications" SET "applied_fqdn" = "fqdn" WHERE "applied_hash" IS NOT NULL OR "next_attempt_at" IS NOT NULL;
--> statement-breakpoint
-- The same dirty mark, now also told (at commit) to whoever caches a body derived from the edge (the Traefik endpoint).
CREATE OR REPLACE FUNCTION servers_mark_edge_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status OR NEW.desired_state IS DISTINCT FROM OLD.desired_state
     OR NEW.address IS DISTINCT FROM OLD.address OR NEW.game_port IS DISTINCT FROM OLD.game_port OR NEW.vmid IS DISTINCT FROM OLD.vmid THEN
    NEW.edge_dirty_at := clock_timestamp();
    PERFORM pg_notify('zlh_edge', '');
  END IF;
  RETURN NEW;
END $$;
