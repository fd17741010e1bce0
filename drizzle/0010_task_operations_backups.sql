CREATE SEQUENCE "public"."task_generation_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "backups" (
	"id" uuid PRIMARY KEY NOT NULL,
	"server_id" uuid NOT NULL,
	"host_id" uuid NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"size_bytes" bigint,
	"sha256" text,
	"manifest_hash" text,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "backups_status_valid" CHECK ("backups"."status" in ('pending', 'running', 'completed', 'failed')),
	CONSTRAINT "backups_completed_verified" CHECK ("backups"."status" <> 'completed' or ("backups"."sha256" is not null and "backups"."size_bytes" is not null))
);
--> statement-breakpoint
ALTER TABLE "operations" DROP CONSTRAINT "operations_kind_valid";--> statement-breakpoint
ALTER TABLE "operations" ADD COLUMN "subject_id" uuid;--> statement-breakpoint
ALTER TABLE "operations" ADD COLUMN "params" jsonb;--> statement-breakpoint
ALTER TABLE "backups" ADD CONSTRAINT "backups_server_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "backups_server_idx" ON "backups" USING btree ("server_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "operations_subject_key" ON "operations" USING btree ("kind","subject_id") WHERE "operations"."subject_id" is not null;--> statement-breakpoint
ALTER TABLE "operations" ADD CONSTRAINT "operations_kind_valid" CHECK ("operations"."kind" in ('provision', 'start', 'stop', 'restart', 'destroy', 'command', 'backup', 'restore', 'backup_delete', 'logs'));