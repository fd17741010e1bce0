import type { EdgeNaming } from "../desiredEdge";

/**
 * Ownership by the naming scheme, for proxies whose route lists hold a name
 * and a backend and nothing to mark (Velocity's bridge, mc-router): a name is
 * the platform's when it is a label the template can make, directly under
 * the zone (`mc-fabric-5013.play.example.com` for `mc-{type}-{vmid}`). A
 * route by any other name (`lobby`, `play.example.com`, `survival.example.net`)
 * was made by someone else and is never touched.
 */
export function namedByScheme(naming: EdgeNaming): (fqdn: string) => boolean {
  const pattern = naming.template.source.replace(/\{(vmid|type|id8)\}|[^{}]+/g, (part, placeholder?: string) => {
    if (placeholder === "vmid") return "[0-9]{1,9}";
    if (placeholder === "type") return "[a-z0-9]+";
    if (placeholder === "id8") return "[0-9a-f]{8}";
    return part.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
  });
  const re = new RegExp(`^${pattern}\\.${naming.zone.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&")}$`);
  return (fqdn) => re.test(fqdn.toLowerCase().replace(/\.$/, ""));
}
