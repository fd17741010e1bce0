CREATE SEQUENCE "public"."fencing_token_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "artifact_digests" (
	"url" text PRIMARY KEY NOT NULL,
	"size" bigint NOT NULL,
	"sha512" text NOT NULL,
	"sha1" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "drift_items" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"host_id" uuid NOT NULL,
	"vmid" integer NOT NULL,
	"server_id" uuid,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"detected_at" timestamp with time zone DEFAULT now() NOT NULL,
	"seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone,
	CONSTRAINT "drift_items_kind_valid" CHECK ("drift_items"."kind" in ('missing_container', 'orphan_container', 'unmanaged_container', 'state_mismatch', 'vmid_conflict'))
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"server_id" uuid,
	"host_id" uuid,
	"operation_id" uuid,
	"type" text NOT NULL,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "hosts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"node" text NOT NULL,
	"agent_token_hash" text NOT NULL,
	"memory_mib" integer NOT NULL,
	"cpu_cores" integer NOT NULL,
	"disk_gib" integer NOT NULL,
	"allocated_memory_mib" integer DEFAULT 0 NOT NULL,
	"allocated_cpu_cores" integer DEFAULT 0 NOT NULL,
	"allocated_disk_gib" integer DEFAULT 0 NOT NULL,
	"session_id" uuid,
	"last_heartbeat_at" timestamp with time zone,
	"inventory" jsonb,
	"inventory_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "hosts_capacity_positive" CHECK ("hosts"."memory_mib" > 0 and "hosts"."cpu_cores" > 0 and "hosts"."disk_gib" > 0),
	CONSTRAINT "hosts_allocation_within_capacity" CHECK ("hosts"."allocated_memory_mib" between 0 and "hosts"."memory_mib"
        and "hosts"."allocated_cpu_cores" between 0 and "hosts"."cpu_cores"
        and "hosts"."allocated_disk_gib" between 0 and "hosts"."disk_gib")
);
--> statement-breakpoint
CREATE TABLE "operations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"server_id" uuid NOT NULL,
	"host_id" uuid NOT NULL,
	"generation" integer NOT NULL,
	"kind" text NOT NULL,
	"vmid" integer NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"attempt" integer DEFAULT 0 NOT NULL,
	"max_attempts" integer DEFAULT 5 NOT NULL,
	"lease_token" bigint,
	"lease_session_id" uuid,
	"lease_expires_at" timestamp with time zone,
	"result" jsonb,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "operations_kind_valid" CHECK ("operations"."kind" in ('provision', 'start', 'stop', 'restart', 'destroy')),
	CONSTRAINT "operations_status_valid" CHECK ("operations"."status" in ('queued', 'leased', 'succeeded', 'failed', 'cancelled')),
	CONSTRAINT "operations_lease_complete" CHECK (("operations"."status" = 'leased') = ("operations"."lease_expires_at" is not null and "operations"."lease_session_id" is not null))
);
--> statement-breakpoint
CREATE TABLE "port_pool" (
	"port" integer PRIMARY KEY NOT NULL,
	"state" text DEFAULT 'free' NOT NULL,
	"server_id" uuid,
	CONSTRAINT "port_pool_state_valid" CHECK ("port_pool"."state" in ('free', 'taken')),
	CONSTRAINT "port_pool_taken_has_server" CHECK (("port_pool"."state" = 'taken') = ("port_pool"."server_id" is not null))
);
--> statement-breakpoint
CREATE TABLE "servers" (
	"id" uuid PRIMARY KEY NOT NULL,
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "servers_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"caller_id" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"request_hash" text NOT NULL,
	"customer_id" text NOT NULL,
	"name" text NOT NULL,
	"minecraft_version" text NOT NULL,
	"loader_version" text,
	"mods" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"server_properties" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"memory_mib" integer NOT NULL,
	"cpu_cores" integer NOT NULL,
	"disk_gib" integer NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"desired_state" text DEFAULT 'running' NOT NULL,
	"generation" integer DEFAULT 1 NOT NULL,
	"host_id" uuid NOT NULL,
	"vmid" integer NOT NULL,
	"game_port" integer NOT NULL,
	"rcon_port" integer NOT NULL,
	"failure_reason" text,
	"manifest" jsonb,
	"rcon_password_enc" text,
	"restart_generation" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "servers_status_valid" CHECK ("servers"."status" in ('pending', 'provisioning', 'running', 'stopping', 'stopped', 'starting', 'deleting', 'deleted', 'failed')),
	CONSTRAINT "servers_desired_state_valid" CHECK ("servers"."desired_state" in ('running', 'stopped', 'deleted')),
	CONSTRAINT "servers_ports_distinct" CHECK ("servers"."game_port" <> "servers"."rcon_port"),
	CONSTRAINT "servers_resources_positive" CHECK ("servers"."memory_mib" > 0 and "servers"."cpu_cores" > 0 and "servers"."disk_gib" > 0)
);
--> statement-breakpoint
CREATE TABLE "vmid_pool" (
	"vmid" integer PRIMARY KEY NOT NULL,
	"state" text DEFAULT 'free' NOT NULL,
	"server_id" uuid,
	"host_id" uuid,
	CONSTRAINT "vmid_pool_state_valid" CHECK ("vmid_pool"."state" in ('free', 'taken', 'releasing', 'excluded')),
	CONSTRAINT "vmid_pool_taken_has_server" CHECK (("vmid_pool"."state" = 'taken') = ("vmid_pool"."server_id" is not null))
);
--> statement-breakpoint
ALTER TABLE "drift_items" ADD CONSTRAINT "drift_items_host_fk" FOREIGN KEY ("host_id") REFERENCES "public"."hosts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "operations" ADD CONSTRAINT "operations_server_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "operations" ADD CONSTRAINT "operations_host_fk" FOREIGN KEY ("host_id") REFERENCES "public"."hosts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "servers" ADD CONSTRAINT "servers_host_fk" FOREIGN KEY ("host_id") REFERENCES "public"."hosts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "drift_items_open_key" ON "drift_items" USING btree ("kind","host_id","vmid") WHERE "drift_items"."resolved_at" is null;--> statement-breakpoint
CREATE INDEX "events_server_idx" ON "events" USING btree ("server_id","id");--> statement-breakpoint
CREATE INDEX "events_type_idx" ON "events" USING btree ("type","id");--> statement-breakpoint
CREATE UNIQUE INDEX "hosts_name_key" ON "hosts" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "hosts_agent_token_hash_key" ON "hosts" USING btree ("agent_token_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "operations_server_generation_kind_key" ON "operations" USING btree ("server_id","generation","kind");--> statement-breakpoint
CREATE INDEX "operations_host_queued_idx" ON "operations" USING btree ("host_id","created_at") WHERE "operations"."status" = 'queued';--> statement-breakpoint
CREATE INDEX "operations_lease_expiry_idx" ON "operations" USING btree ("lease_expires_at") WHERE "operations"."status" = 'leased';--> statement-breakpoint
CREATE INDEX "port_pool_free_idx" ON "port_pool" USING btree ("port") WHERE "port_pool"."state" = 'free';--> statement-breakpoint
CREATE UNIQUE INDEX "servers_seq_key" ON "servers" USING btree ("seq");--> statement-breakpoint
CREATE UNIQUE INDEX "servers_caller_idempotency_key" ON "servers" USING btree ("caller_id","idempotency_key");--> statement-breakpoint
CREATE UNIQUE INDEX "servers_live_vmid_key" ON "servers" USING btree ("vmid") WHERE "servers"."status" <> 'deleted';--> statement-breakpoint
CREATE UNIQUE INDEX "servers_live_game_port_key" ON "servers" USING btree ("game_port") WHERE "servers"."status" <> 'deleted';--> statement-breakpoint
CREATE UNIQUE INDEX "servers_live_rcon_port_key" ON "servers" USING btree ("rcon_port") WHERE "servers"."status" <> 'deleted';--> statement-breakpoint
CREATE INDEX "servers_customer_seq_idx" ON "servers" USING btree ("customer_id","seq");--> statement-breakpoint
CREATE INDEX "servers_host_idx" ON "servers" USING btree ("host_id");--> statement-breakpoint
CREATE INDEX "vmid_pool_free_idx" ON "vmid_pool" USING btree ("vmid") WHERE "vmid_pool"."state" = 'free';