ALTER TABLE "drift_items" DROP CONSTRAINT "drift_items_kind_valid";--> statement-breakpoint
ALTER TABLE "drift_items" ADD COLUMN "observed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "operations" ADD COLUMN "not_before" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "status_changed_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "restart_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "crash_streak" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "last_crash_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "heal_after" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "drift_items" ADD CONSTRAINT "drift_items_kind_valid" CHECK ("drift_items"."kind" in ('missing_container', 'orphan_container', 'unmanaged_container', 'state_mismatch', 'vmid_conflict', 'crash_loop'));