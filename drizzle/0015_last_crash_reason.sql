ALTER TABLE "servers" ADD COLUMN "last_crash_reason" text;
