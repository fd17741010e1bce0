-- Pool rows point at the server holding them. Deferred, because the create path
-- takes the VMID and ports (locking the pool rows first, which is the point)
-- before it inserts the server row, all in one transaction. drizzle-kit cannot
-- express DEFERRABLE, hence this hand-written migration.
ALTER TABLE "vmid_pool" ADD CONSTRAINT "vmid_pool_server_fk" FOREIGN KEY ("server_id") REFERENCES "servers"("id") DEFERRABLE INITIALLY DEFERRED;--> statement-breakpoint
ALTER TABLE "port_pool" ADD CONSTRAINT "port_pool_server_fk" FOREIGN KEY ("server_id") REFERENCES "servers"("id") DEFERRABLE INITIALLY DEFERRED;
