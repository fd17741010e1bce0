CREATE TABLE "console_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"server_id" uuid NOT NULL,
	"client_name" text NOT NULL,
	"token_hash" text NOT NULL,
	"parent_token_hash" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "console_tokens" ADD CONSTRAINT "console_tokens_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "console_tokens_token_hash_key" ON "console_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "console_tokens_server_idx" ON "console_tokens" USING btree ("server_id");