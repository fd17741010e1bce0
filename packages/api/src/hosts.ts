import Type, { type Static } from "typebox";
import { PathId } from "./pathIds";
import { QueryInteger, SafeText, Timestamp, Uuid } from "./primitives";

const Capacity = Type.Object(
  {
    memoryMiB: Type.Integer({ minimum: 1, maximum: 16_777_216 }),
    cpuCores: Type.Integer({ minimum: 1, maximum: 4096 }),
    diskGiB: Type.Integer({ minimum: 1, maximum: 1_048_576 }),
  },
  { additionalProperties: false, title: "HostCapacity" },
);

const Ipv4Text = (description: string) => Type.String({ minLength: 7, maxLength: 15, pattern: "^[0-9.]+$", description });

/** A host's network (IPv4). Checked further (CIDR, gateway and range inside the subnet) before anything is written: 422 invalid_network. */
export const HostNetworkBody = Type.Object(
  {
    bridge: Type.String({ minLength: 1, maxLength: 15, description: "The Proxmox bridge containers attach to, e.g. vmbr1." }),
    mode: Type.Optional(
      Type.Union([Type.Literal("static"), Type.Literal("dhcp")], {
        description: "static (the default when a subnet is given): the control plane assigns each server an address of `range`. dhcp: the bridge only; the agent reports the address it observes.",
      }),
    ),
    subnet: Type.Optional(Type.String({ minLength: 9, maxLength: 18, pattern: "^[0-9./]+$", description: "The bridge's IPv4 subnet, CIDR (e.g. 10.60.0.0/24); prefix 1-30." })),
    gateway: Type.Optional(Ipv4Text("The default gateway, inside the subnet and outside the range.")),
    range: Type.Optional(
      Type.Object(
        { first: Ipv4Text("First address the platform may assign."), last: Ipv4Text("Last address the platform may assign (inclusive).") },
        { additionalProperties: false, description: "Inside the subnet; neither its network nor broadcast address nor the gateway." },
      ),
    ),
  },
  { additionalProperties: false, title: "HostNetworkBody" },
);

export const CreateHostBody = Type.Object(
  {
    name: Type.String({ pattern: "^[a-z0-9][a-z0-9-]{0,62}$", description: "Unique host name (DNS label)." }),
    node: SafeText(1, 64, "The Proxmox node name this host is."),
    capacity: Capacity,
    network: Type.Optional(HostNetworkBody),
  },
  { additionalProperties: false, title: "CreateHostBody" },
);
export type CreateHostBody = Static<typeof CreateHostBody>;

export const HostNetworkView = Type.Union(
  [
    Type.Object({
      mode: Type.Literal("static"),
      bridge: Type.String(),
      subnet: Type.String(),
      gateway: Type.String(),
      range: Type.Object({ first: Type.String(), last: Type.String() }),
      addressesInUse: Type.Integer({ description: "Addresses of the range held by servers (not deleted)." }),
    }),
    Type.Object({ mode: Type.Literal("dhcp"), bridge: Type.String() }),
    Type.Null(),
  ],
  { title: "HostNetwork", description: "Null: no network settings (the agent's own bridge and DHCP; no address allocated)." },
);

export const EnrolledHost = Type.Object({
  id: Uuid,
  name: Type.String(),
  node: Type.String(),
  network: Type.Optional(HostNetworkView),
  agentToken: Type.String({ description: "Shown once; only its hash is stored." }),
  previousTokenExpiresAt: Type.Optional(Type.Union([Timestamp, Type.Null()], { description: "On a rotation: until when the replaced token keeps working (ZLH_AGENT_TOKEN_GRACE_MS); null when it stopped at once." })),
}, { title: "EnrolledHost" });

const Allocated = Type.Object({ memoryMiB: Type.Integer(), cpuCores: Type.Integer(), diskGiB: Type.Integer() });

export const Host = Type.Object({
  id: Uuid,
  name: Type.String(),
  node: Type.String(),
  connected: Type.Boolean({ description: "The agent has a session and heartbeated within one lease TTL." }),
  lastHeartbeatAt: Type.Union([Timestamp, Type.Null()]),
  cordoned: Type.Boolean({ description: "No new server is placed here (cordon, drain); what runs keeps running." }),
  cordonedAt: Type.Union([Timestamp, Type.Null()]),
  capacity: Allocated,
  allocated: Allocated,
  servers: Type.Object({ total: Type.Integer({ description: "Servers on the host, not deleted." }), running: Type.Integer() }),
  network: HostNetworkView,
}, { title: "Host" });

export const HostList = Type.Object({ items: Type.Array(Host), nextCursor: Type.Union([Type.String(), Type.Null()]) }, { title: "HostList" });

export const HostsQuery = Type.Object(
  {
    limit: Type.Optional(QueryInteger(1, 500, "How many hosts a page holds: 1-500, default 100.")),
    cursor: Type.Optional(Type.String({ maxLength: 128 })),
  },
  { additionalProperties: false },
);

export const DrainReport = Type.Object({
  host: Host,
  remaining: Type.Array(
    Type.Object({ id: Uuid, name: Type.String(), status: Type.String(), vmid: Type.Integer() }),
    { description: "What still runs (or exists) on the host: move or delete these, then DELETE the host." },
  ),
}, { title: "DrainReport" });

export const HostIdParams = Type.Object({ id: PathId("uuid", 64) });

export const DriftItem = Type.Object(
  {
    id: Type.Optional(Type.String({ pattern: "^[0-9]{1,18}$", description: "The item's id: acknowledge it with POST /v1/drift/:id/acknowledge. Edge drift (`edge_unowned`) has none." })),
    kind: Type.Enum(["missing_container", "orphan_container", "unmanaged_container", "state_mismatch", "vmid_conflict", "crash_loop", "edge_unowned"], { title: "DriftKind" }),
    hostId: Type.Optional(Uuid),
    vmid: Type.Optional(Type.Integer()),
    serverId: Type.Optional(Uuid),
    detectedAt: Timestamp,
    detail: Type.Record(Type.String(), Type.Unknown()),
    acknowledged: Type.Union([Type.Object({ at: Timestamp, by: Type.String({ description: "The API client that acknowledged it." }) }), Type.Null()]),
  },
  { title: "DriftItem" },
);

export const DriftList = Type.Object(
  {
    items: Type.Array(DriftItem),
    nextCursor: Type.Union([Type.String(), Type.Null()]),
  },
  { title: "DriftList" },
);

export const DriftQuery = Type.Object(
  {
    include: Type.Optional(Type.Literal("acknowledged", { description: "`acknowledged`: acknowledged items too (hidden by default)." })),
    limit: Type.Optional(QueryInteger(1, 500, "How many items a page holds: 1-500, default 100.")),
    cursor: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);

export const DriftIdParams = Type.Object({ id: Type.String({ maxLength: 20 }) });
