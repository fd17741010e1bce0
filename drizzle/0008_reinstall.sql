ALTER TABLE "servers" ADD COLUMN "reinstall_generation" integer;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "reinstall_wipe" boolean DEFAULT false NOT NULL;