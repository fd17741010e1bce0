ALTER TABLE "schedules" ADD COLUMN "last_slot" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "schedules" ADD COLUMN "busy_slot" timestamp with time zone;--> statement-breakpoint
-- The newest claimed slot of each schedule, where its next slot is already past it; a schedule wedged on a
-- claimed slot (a change placed it again) keeps null, and its next tick moves it on (takeSlot).
UPDATE "schedules" s SET "last_slot" = r.newest FROM (SELECT "schedule_id", max("slot") AS newest FROM "schedule_runs" GROUP BY 1) r
WHERE r."schedule_id" = s."id" AND (s."next_slot" IS NULL OR s."next_slot" > r.newest);--> statement-breakpoint
ALTER TABLE "schedules" ADD CONSTRAINT "schedules_next_after_last" CHECK ("schedules"."next_slot" is null or "schedules"."last_slot" is null or "schedules"."next_slot" > "schedules"."last_slot");