import Type, { type Static } from "typebox";
import { SafeText, Timestamp, Uuid } from "./primitives";

const Capacity = Type.Object(
  {
    memoryMiB: Type.Integer({ minimum: 1, maximum: 16_777_216 }),
    cpuCores: Type.Integer({ minimum: 1, maximum: 4096 }),
    diskGiB: Type.Integer({ minimum: 1, maximum: 1_048_576 }),
  },
  { additionalProperties: false },
);

export const CreateHostBody = Type.Object(
  {
    name: Type.String({ pattern: "^[a-z0-9][a-z0-9-]{0,62}$", description: "Unique host name (DNS label)." }),
    node: SafeText(1, 64, "The Proxmox node name this host is."),
    capacity: Capacity,
  },
  { additionalProperties: false },
);
export type CreateHostBody = Static<typeof CreateHostBody>;

export const EnrolledHost = Type.Object({
  id: Uuid,
  name: Type.String(),
  node: Type.String(),
  agentToken: Type.String({ description: "Shown once; only its hash is stored." }),
});

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
});

export const HostList = Type.Object({ items: Type.Array(Host) });

export const DrainReport = Type.Object({
  host: Host,
  remaining: Type.Array(
    Type.Object({ id: Uuid, name: Type.String(), status: Type.String(), vmid: Type.Integer() }),
    { description: "What still runs (or exists) on the host: move or delete these, then DELETE the host." },
  ),
});

export const HostIdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

export const DriftList = Type.Object({
  items: Type.Array(
    Type.Object({
      kind: Type.Enum(["missing_container", "orphan_container", "unmanaged_container", "state_mismatch", "vmid_conflict", "crash_loop"]),
      hostId: Uuid,
      vmid: Type.Integer(),
      serverId: Type.Optional(Uuid),
      detectedAt: Timestamp,
      detail: Type.Record(Type.String(), Type.Unknown()),
    }),
  ),
});
