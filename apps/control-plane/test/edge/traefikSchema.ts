/**
 * The TCP part of Traefik v3's dynamic configuration schema, as Traefik
 * documents it (the file/HTTP provider's JSON schema on SchemaStore,
 * traefik-v3-file-provider.json: `tcpRouter`, `tcpLoadBalancerService`,
 * `tcpService`, and the top level), structure only. The endpoint's answer
 * is checked against this, not against our own typebox schema.
 */
export const TRAEFIK_TCP_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  additionalProperties: false,
  definitions: {
    tcpRouter: {
      type: "object",
      properties: {
        entryPoints: { type: "array", items: { type: "string" } },
        middlewares: { type: "array", items: { type: "string" } },
        rule: { type: "string" },
        ruleSyntax: { type: "string" },
        service: { type: "string" },
        priority: { type: "integer", minimum: 0 },
        tls: { type: "object" },
      },
      additionalProperties: false,
      required: ["rule", "service"],
    },
    tcpLoadBalancerService: {
      type: "object",
      properties: {
        servers: { type: "array", minItems: 1, items: { type: "object", properties: { address: { type: "string" } }, required: ["address"] } },
        terminationDelay: { type: "number" },
        proxyProtocol: { type: "object", properties: { version: { type: "integer" } } },
        serversTransport: { type: "string" },
      },
      additionalProperties: false,
      required: ["servers"],
    },
    tcpWeightedService: { type: "object", required: ["services"] },
    tcpService: {
      type: "object",
      oneOf: [
        { properties: { loadBalancer: { $ref: "#/definitions/tcpLoadBalancerService" } }, additionalProperties: false },
        { properties: { weighted: { $ref: "#/definitions/tcpWeightedService" } }, additionalProperties: false },
      ],
    },
  },
  properties: {
    http: { type: "object" },
    tcp: {
      type: "object",
      properties: {
        routers: { type: "object", additionalProperties: { $ref: "#/definitions/tcpRouter" } },
        services: { type: "object", additionalProperties: { $ref: "#/definitions/tcpService" } },
      },
    },
    udp: { type: "object" },
    tls: { type: "object" },
  },
} as const;
