ALTER TABLE "backups" ADD COLUMN "archive_settled_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "backups_removal_pending_idx" ON "backups" USING btree ("server_id") WHERE "backups"."deleted_at" is not null and "backups"."archive_settled_at" is null;--> statement-breakpoint
-- Tasks queued beside another by the race the next index closes: the later queued ones are cancelled (a leased
-- one is never touched) and a backup they would have taken fails, so the index can be built.
WITH extra AS (
	UPDATE "operations" o SET "status" = 'cancelled', "updated_at" = now()
	WHERE o."status" = 'queued' AND o."kind" not in ('provision', 'start', 'stop', 'restart', 'destroy', 'logs')
		AND EXISTS (SELECT 1 FROM "operations" p WHERE p."server_id" = o."server_id" AND p."id" <> o."id"
			AND p."status" in ('queued', 'leased') AND p."kind" not in ('provision', 'start', 'stop', 'restart', 'destroy', 'logs')
			AND (p."status" = 'leased' OR (p."created_at", p."id") < (o."created_at", o."id")))
	RETURNING o."kind", o."subject_id"
)
UPDATE "backups" b SET "status" = 'failed', "error" = 'cancelled: another task was running', "completed_at" = now()
FROM extra WHERE extra."kind" = 'backup' AND b."id" = extra."subject_id" AND b."status" = 'pending';--> statement-breakpoint
CREATE UNIQUE INDEX "operations_one_live_task_key" ON "operations" USING btree ("server_id") WHERE "operations"."status" in ('queued', 'leased') and "operations"."kind" not in ('provision', 'start', 'stop', 'restart', 'destroy', 'logs');