import Type, { type Static } from "typebox";

/**
 * The part of Traefik's dynamic configuration (the file and HTTP providers'
 * schema) the control plane serves at GET /v1/edge/traefik: TCP routers and
 * their load-balancer services. Names are Traefik's own.
 */
const TcpRouter = Type.Object(
  {
    entryPoints: Type.Array(Type.String(), { description: "The entry point a router listens on; defined in Traefik's static configuration." }),
    rule: Type.String({ description: "HostSNI(`*`): Minecraft's protocol carries no TLS, so a TCP router cannot route by name." }),
    service: Type.String(),
  },
  { additionalProperties: false },
);

const TcpService = Type.Object(
  {
    loadBalancer: Type.Object(
      { servers: Type.Array(Type.Object({ address: Type.String({ description: "host:port of the server's container." }) }, { additionalProperties: false }), { minItems: 1 }) },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const TraefikDynamicConfig = Type.Object(
  {
    tcp: Type.Object(
      {
        routers: Type.Record(Type.String(), TcpRouter),
        services: Type.Record(Type.String(), TcpService),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type TraefikDynamicConfig = Static<typeof TraefikDynamicConfig>;
