ALTER TABLE "api_tokens" DROP CONSTRAINT "api_tokens_scope_valid";--> statement-breakpoint
ALTER TABLE "hosts" ADD COLUMN "previous_agent_token_hash" text;--> statement-breakpoint
ALTER TABLE "hosts" ADD COLUMN "previous_agent_token_expires_at" timestamp with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "hosts_previous_agent_token_hash_key" ON "hosts" USING btree ("previous_agent_token_hash");--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_scope_valid" CHECK ("api_tokens"."scope" in ('read', 'panel', 'admin', 'metrics'));