ALTER TABLE "servers" ADD COLUMN "server_type" text DEFAULT 'fabric' NOT NULL;
