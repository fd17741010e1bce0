CREATE TABLE "keyed_answers" (
	"client_name" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"request_hash" text NOT NULL,
	"answer" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "keyed_answers_pkey" PRIMARY KEY("client_name","idempotency_key")
);
--> statement-breakpoint
CREATE INDEX "keyed_answers_created_idx" ON "keyed_answers" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "servers_name_seq_idx" ON "servers" USING btree ("name","seq");