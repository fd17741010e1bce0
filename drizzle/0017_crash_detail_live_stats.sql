ALTER TABLE "servers" ADD COLUMN "last_crash_detail" jsonb;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "stats" jsonb;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "stats_history" jsonb;--> statement-breakpoint
ALTER TABLE "servers" ADD CONSTRAINT "servers_last_crash_detail_bounded" CHECK ("servers"."last_crash_detail" is null or octet_length("servers"."last_crash_detail"::text) <= 65536);