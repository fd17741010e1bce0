CREATE TABLE "schedule_runs" (
	"schedule_id" uuid NOT NULL,
	"slot" timestamp with time zone NOT NULL,
	"server_id" uuid NOT NULL,
	"status" text NOT NULL,
	"late" boolean DEFAULT false NOT NULL,
	"missed_before" integer DEFAULT 0 NOT NULL,
	"operation_id" uuid,
	"reason" text,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "schedule_runs_pkey" PRIMARY KEY("schedule_id","slot"),
	CONSTRAINT "schedule_runs_status_valid" CHECK ("schedule_runs"."status" in ('started', 'succeeded', 'failed', 'skipped'))
);
--> statement-breakpoint
CREATE TABLE "schedules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"server_id" uuid NOT NULL,
	"name" text NOT NULL,
	"cron" text NOT NULL,
	"time_zone" text NOT NULL,
	"action" text NOT NULL,
	"argument" text,
	"countdown" boolean DEFAULT true NOT NULL,
	"missed_policy" text DEFAULT 'skip' NOT NULL,
	"next_slot" timestamp with time zone,
	"due_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone,
	CONSTRAINT "schedules_action_valid" CHECK ("schedules"."action" in ('backup', 'restart', 'command', 'announce')),
	CONSTRAINT "schedules_missed_policy_valid" CHECK ("schedules"."missed_policy" in ('skip', 'run_late')),
	CONSTRAINT "schedules_argument_needed" CHECK (("schedules"."action" in ('command', 'announce')) = ("schedules"."argument" is not null))
);
--> statement-breakpoint
ALTER TABLE "schedule_runs" ADD CONSTRAINT "schedule_runs_schedule_fk" FOREIGN KEY ("schedule_id") REFERENCES "public"."schedules"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "schedules" ADD CONSTRAINT "schedules_server_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "schedule_runs_operation_idx" ON "schedule_runs" USING btree ("operation_id") WHERE "schedule_runs"."operation_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "schedules_server_name_key" ON "schedules" USING btree ("server_id","name") WHERE "schedules"."ended_at" is null;--> statement-breakpoint
CREATE INDEX "schedules_due_idx" ON "schedules" USING btree ("due_at") WHERE "schedules"."ended_at" is null;