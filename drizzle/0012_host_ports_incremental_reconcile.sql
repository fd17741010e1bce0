CREATE TABLE "host_ports" (
	"host_id" uuid NOT NULL,
	"port" integer NOT NULL,
	"server_id" uuid NOT NULL,
	CONSTRAINT "host_ports_pkey" PRIMARY KEY("host_id","port")
);
--> statement-breakpoint
-- Ports become per host: what the fleet-wide pool held moves to the host of its server.
INSERT INTO "host_ports" ("host_id", "port", "server_id")
SELECT s."host_id", p."port", p."server_id" FROM "port_pool" p JOIN "servers" s ON s."id" = p."server_id" WHERE p."state" = 'taken';--> statement-breakpoint
DROP TABLE "port_pool" CASCADE;--> statement-breakpoint
DROP INDEX "servers_live_game_port_key";--> statement-breakpoint
DROP INDEX "servers_live_rcon_port_key";--> statement-breakpoint
DROP INDEX "servers_host_idx";--> statement-breakpoint
ALTER TABLE "hosts" ADD COLUMN "reconciled_evidence" text;--> statement-breakpoint
ALTER TABLE "hosts" ADD COLUMN "reconciled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "hosts" ADD COLUMN "reconcile_settled" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "manifest_hash" text;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "requested_manifest_hash" text;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "previous_manifest_hash" text;--> statement-breakpoint
ALTER TABLE "host_ports" ADD CONSTRAINT "host_ports_host_fk" FOREIGN KEY ("host_id") REFERENCES "public"."hosts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "host_ports" ADD CONSTRAINT "host_ports_server_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "host_ports_server_idx" ON "host_ports" USING btree ("server_id");--> statement-breakpoint
CREATE INDEX "drift_items_host_open_idx" ON "drift_items" USING btree ("host_id") WHERE "drift_items"."resolved_at" is null;--> statement-breakpoint
CREATE INDEX "servers_host_status_changed_idx" ON "servers" USING btree ("host_id","status_changed_at");