CREATE TABLE "host_addresses" (
	"host_id" uuid NOT NULL,
	"address" "inet" NOT NULL,
	"server_id" uuid NOT NULL,
	CONSTRAINT "host_addresses_pkey" PRIMARY KEY("host_id","address"),
	CONSTRAINT "host_addresses_single_ipv4" CHECK (family("host_addresses"."address") = 4 and masklen("host_addresses"."address") = 32)
);
--> statement-breakpoint
ALTER TABLE "hosts" ADD COLUMN "network_mode" text;--> statement-breakpoint
ALTER TABLE "hosts" ADD COLUMN "network_bridge" text;--> statement-breakpoint
ALTER TABLE "hosts" ADD COLUMN "network_subnet" "cidr";--> statement-breakpoint
ALTER TABLE "hosts" ADD COLUMN "network_gateway" "inet";--> statement-breakpoint
ALTER TABLE "hosts" ADD COLUMN "network_range_first" "inet";--> statement-breakpoint
ALTER TABLE "hosts" ADD COLUMN "network_range_last" "inet";--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "address" "inet";--> statement-breakpoint
ALTER TABLE "host_addresses" ADD CONSTRAINT "host_addresses_host_fk" FOREIGN KEY ("host_id") REFERENCES "public"."hosts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "host_addresses" ADD CONSTRAINT "host_addresses_server_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "host_addresses_server_key" ON "host_addresses" USING btree ("server_id");--> statement-breakpoint
ALTER TABLE "hosts" ADD CONSTRAINT "hosts_network_bridge_valid" CHECK (("hosts"."network_mode" is null) = ("hosts"."network_bridge" is null) and "hosts"."network_bridge" ~ '^[A-Za-z][A-Za-z0-9_.-]{0,14}$');--> statement-breakpoint
ALTER TABLE "hosts" ADD CONSTRAINT "hosts_network_valid" CHECK (("hosts"."network_mode" is null and "hosts"."network_bridge" is null and "hosts"."network_subnet" is null and "hosts"."network_gateway" is null
          and "hosts"."network_range_first" is null and "hosts"."network_range_last" is null)
        or ("hosts"."network_mode" = 'dhcp' and "hosts"."network_subnet" is null and "hosts"."network_gateway" is null
          and "hosts"."network_range_first" is null and "hosts"."network_range_last" is null)
        or ("hosts"."network_mode" = 'static' and family("hosts"."network_subnet") = 4
          and masklen("hosts"."network_gateway") = 32 and masklen("hosts"."network_range_first") = 32 and masklen("hosts"."network_range_last") = 32
          and "hosts"."network_gateway" << "hosts"."network_subnet" and "hosts"."network_range_first" << "hosts"."network_subnet" and "hosts"."network_range_last" << "hosts"."network_subnet"
          and "hosts"."network_range_first" <= "hosts"."network_range_last"
          and "hosts"."network_range_first" > set_masklen(network("hosts"."network_subnet")::inet, 32)
          and "hosts"."network_range_last" < set_masklen(broadcast("hosts"."network_subnet"), 32)
          and "hosts"."network_gateway" not between "hosts"."network_range_first" and "hosts"."network_range_last"));--> statement-breakpoint
ALTER TABLE "servers" ADD CONSTRAINT "servers_address_single_ipv4" CHECK ("servers"."address" is null or (family("servers"."address") = 4 and masklen("servers"."address") = 32));