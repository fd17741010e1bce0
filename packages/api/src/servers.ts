import Type, { type Static } from "typebox";
import { PathId } from "./pathIds";
import { DESIRED_STATES, EVENT_TYPES, SERVER_STATUSES, SERVER_TYPES } from "@zlh/domain";
import { LoaderVersion, MinecraftVersion, ModProject, ModVersion, QueryInteger, SafeText, Timestamp, Uuid } from "./primitives";
import { ModpackRef, ServerModpack } from "./modpacks";
import { ServerProperties } from "./serverProperties";
import { StatsSample } from "./stats";

/** Required: a create without one is refused (idempotency_key_missing), never run twice by a retry. */
export const IdempotencyKeyHeader = Type.Object({
  "idempotency-key": Type.String({
    minLength: 1,
    maxLength: 255,
    pattern: "^[\\x20-\\x7E]+$",
    description: "Required. 1-255 printable ASCII characters, unique per request the panel means once; a retry with the same key and body returns the same server.",
  }),
});

const ModList = Type.Array(
  Type.Object(
    {
      project: ModProject,
      version: Type.Optional(ModVersion),
      allowPrerelease: Type.Optional(
        Type.Boolean({ description: "Accept the newest beta or alpha when the project has no release for this game version. Default false." }),
      ),
    },
    { additionalProperties: false },
  ),
  { maxItems: 100 },
);

/** What a server runs (docs/server-types.md); forge is not provisioned yet. */
const ServerTypeEnum = Type.Enum(SERVER_TYPES, {
  title: "ServerType",
  description: "What the server runs: fabric (the default; Modrinth mods for Fabric), quilt (Quilt's loader; Modrinth mods for Quilt or Fabric), vanilla (Mojang's server), paper (PaperMC's newest stable build), purpur (Purpur's newest successful build) or neoforge (NeoForge's newest release for the game; Modrinth mods for NeoForge); a paper or purpur build is pinned by loaderVersion; vanilla, paper and purpur take no mods. Forge is not provisioned yet.",
});

export const CreateServerBody = Type.Object(
  {
    customerId: SafeText(1, 128, "The panel's customer id; used for filtering."),
    name: SafeText(1, 64),
    type: Type.Optional(ServerTypeEnum),
    minecraftVersion: Type.Optional(MinecraftVersion), // required unless `modpack` is given (createServerOnce checks)
    loaderVersion: Type.Optional(LoaderVersion),
    mods: Type.Optional(ModList),
    modpack: Type.Optional(ModpackRef),
    memoryMiB: Type.Integer({ minimum: 512, maximum: 262_144 }),
    cpuCores: Type.Integer({ minimum: 1, maximum: 64 }),
    diskGiB: Type.Integer({ minimum: 1, maximum: 4096 }),
    serverProperties: Type.Optional(ServerProperties),
  },
  { additionalProperties: false, title: "CreateServerBody" },
);
export type CreateServerBody = Static<typeof CreateServerBody>;

const StatusEnum = Type.Enum(SERVER_STATUSES, { title: "ServerStatus" });

/** One of a server's conditions: `running` (its status) and `reachable` (the edge's), never confused. */
export const ServerCondition = Type.Object({
  type: Type.Union([Type.Literal("running"), Type.Literal("reachable")]),
  status: Type.Boolean(),
  reason: Type.String({ description: "running: the server's status. reachable: verified, propagating, not_published, edge_not_configured, or the failing provider's code (timeout, unreachable, refused, badsig, not_owner, http_error, ...)." }),
  message: Type.String(),
  since: Timestamp,
});
export type ServerCondition = Static<typeof ServerCondition>;

export const Server = Type.Object(
  {
    id: Uuid,
    customerId: Type.String(),
    name: Type.String(),
    status: StatusEnum,
    desiredState: Type.Enum(DESIRED_STATES, { title: "DesiredState" }),
    generation: Type.Integer(),
    hostId: Uuid,
    vmid: Type.Union([Type.Integer(), Type.Null()], { description: "Null once deleted: the VMID may belong to another server then." }),
    ports: Type.Union([Type.Object({ game: Type.Integer(), rcon: Type.Integer() }), Type.Null()], { description: "Null once deleted: the ports may be reused." }),
    address: Type.Union([Type.String(), Type.Null()], {
      description: "The container's IPv4 address: allocated at create on a host with a static network; on a dhcp host (or one without network settings) the address the agent observed, null until then.",
    }),
    connect: Type.Union([Type.Object({ host: Type.String(), port: Type.Integer() }), Type.Null()], {
      description:
        "What a player types into Minecraft's server list: the server's name under the edge zone (ZLH_EDGE_ZONE) and the port its records point at (the edge's, or the server's own). Derived from the database; it says nothing about whether DNS answers yet. Null without an edge zone, or while the address is unknown.",
    }),
    conditions: Type.Array(ServerCondition, {
      description:
        "`running`: the game answered on the server's own address (no DNS involved). `reachable`: the edge (every configured provider) applied its records and route and a lookup answered them. A panel can show \"running, DNS propagating\"; no status ever waits on `reachable`.",
    }),
    type: ServerTypeEnum,
    minecraftVersion: Type.String(),
    loaderVersion: Type.Union([Type.String(), Type.Null()]),
    mods: Type.Array(Type.Object({ project: Type.String(), version: Type.Optional(Type.String()), allowPrerelease: Type.Optional(Type.Boolean()) })),
    modpack: ServerModpack,
    memoryMiB: Type.Integer(),
    cpuCores: Type.Integer(),
    diskGiB: Type.Integer(),
    serverProperties: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
    failureReason: Type.Union([Type.String(), Type.Null()]),
    lastError: Type.Union(
      [
        Type.Object({
          code: Type.String({ description: "e.g. artifact_fetch_failed, lease_expired, host_disconnected, host_not_taking_work." }),
          message: Type.String({ description: "Why, as a sentence (the cause the fetch gave: DNS, refused, a status)." }),
          url: Type.Union([Type.String(), Type.Null()], { description: "The URL that failed, when there was one." }),
          at: Timestamp,
        }),
        Type.Null(),
      ],
      { description: "Why the server's work is not moving: the last error of work being retried (resolving its artifacts while the network is down, a lease that expired), or its host not taking queued work (disconnected, or connected and not asking); null once that work succeeds." },
    ),
    restartCount: Type.Integer({ description: "Crashes healed so far: times the server was found stopped while it should run, and started again." }),
    lastCrashAt: Type.Union([Timestamp, Type.Null()]),
    lastCrash: Type.Union(
      [
        Type.Object({
          at: Timestamp,
          reason: Type.String({ description: "observed_stopped (its container was found stopped), game_exited (its game died in a running container) or out_of_memory (the OOM killer killed its game)." }),
          hint: Type.Union([Type.String(), Type.Null()], { description: "What to do about it, where there is something particular: for out_of_memory, raise the server's memory; otherwise the cause's own." }),
          cause: Type.Union([Type.String(), Type.Null()], {
            description:
              "What the evidence says (docs/crash-reports.md): out_of_memory, java_version, eula_not_accepted, port_in_use, mod_dependency, corrupt_world, java_heap, game_crash or unknown; null for a crash recorded before crash reports.",
          }),
          summary: Type.Union([Type.String(), Type.Null()], { description: "The line the cause was recognised from, or the crash report's description." }),
          repeated: Type.Integer({ description: "Crashes in a row (this crash-loop streak) with this cause: a crash loop says what keeps failing." }),
          evidence: Type.Union(
            [
              Type.Object({
                log: Type.Optional(Type.Array(Type.String(), { description: "The last lines of logs/latest.log." })),
                stderr: Type.Optional(Type.Array(Type.String(), { description: "The last lines of the game's stderr." })),
                crashReport: Type.Optional(Type.Object({ name: Type.String(), lines: Type.Array(Type.String()) }, { description: "The first lines of the newest crash report of the run." })),
                exit: Type.Optional(Type.Object({ result: Type.String(), code: Type.String(), status: Type.String() }, { description: "How systemd says the game unit ended." })),
                refused: Type.Optional(Type.Array(Type.String(), { description: "Files that could not be read, and why (not a regular file, ...)." })),
                truncated: Type.Optional(Type.Boolean({ description: "True when something was left out or cut to fit the evidence's byte budgets (docs/crash-reports.md); absent otherwise." })),
              }),
              Type.Null(),
            ],
            { description: "What the agent read from the container, bounded (in lines, and in bytes of JSON per field) and made safe (invalid UTF-8 and terminal escapes neutralised)." },
          ),
        }),
        Type.Null(),
      ],
      { description: "The last crash healed (lastCrashAt with why)." },
    ),
    stats: Type.Union([StatsSample, Type.Null()], { description: "The latest live figures from its agent (docs/live-stats.md); null before the first, and once it stops (the last ones stay in its history)." }),
    progress: Type.Union(
      [
        Type.Object({
          phase: Type.String({ description: "creating (the container), downloading (the files, with counts), placing (the game layer and settings), starting, or waiting (for the game to answer and prove it is this server)." }),
          done: Type.Union([Type.Integer(), Type.Null()], { description: "Files done in this phase." }),
          total: Type.Union([Type.Integer(), Type.Null()], { description: "Files in this phase." }),
          bytesDone: Type.Union([Type.Integer(), Type.Null()], { description: "Bytes done (a download)." }),
          bytesTotal: Type.Union([Type.Integer(), Type.Null()], { description: "Bytes to do (a download)." }),
          at: Timestamp,
        }),
        Type.Null(),
      ],
      { description: "Where the running operation (a provision, a reinstall, a change) is, as its agent reports it (docs/design/agent-protocol.md); null when none runs." },
    ),
    nextRestartAt: Type.Union([Timestamp, Type.Null()], { description: "While a crashed server waits out its crash-loop backoff: when self-heal starts it again." }),
    crashLooping: Type.Boolean({ description: "Crashed three times in a row within 10 minutes (also a crash_loop drift item)." }),
    stale: Type.Boolean({ description: "True while the host's agent is disconnected: the status is the last one observed." }),
    manifests: Type.Object(
      {
        applied: Type.Union([Type.String(), Type.Null()], { description: "manifestHash of what the host has (null before the first provision resolved one)." }),
        requested: Type.Union([Type.String(), Type.Null()], { description: "manifestHash of a change's manifest, resolved and not applied yet." }),
        previous: Type.Union([Type.String(), Type.Null()], { description: "manifestHash before the last applied change." }),
      },
    ),
    change: Type.Union(
      [
        Type.Object({
          generation: Type.Integer(),
          status: Type.Union([Type.Literal("resolving"), Type.Literal("applying")]),
          reason: Type.Null(),
        }),
        Type.Null(),
      ],
      { description: "A change (PATCH) in progress and where it is; null once it has ended (how it ended: GET /v1/servers/:id/changes)." },
    ),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: "Server" },
);
export type Server = Static<typeof Server>;

export const ServerIdParams = Type.Object({ id: PathId("uuid", 64) });

export const ListServersQuery = Type.Object(
  {
    customerId: Type.Optional(SafeText(1, 128)),
    name: Type.Optional(SafeText(1, 64, "Only servers with exactly this name (as created; names are not unique, so a page may hold several).")),
    status: Type.Optional(StatusEnum),
    include: Type.Optional(Type.Literal("deleted", { description: "`deleted`: deleted servers too. Without it (and without status=deleted) they are left out." })),
    limit: Type.Optional(QueryInteger(1, 500, "How many servers a page holds: 1-500, default 50.")),
    cursor: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);

export const ServerList = Type.Object(
  {
    items: Type.Array(Server),
    nextCursor: Type.Union([Type.String(), Type.Null()], { description: "Pass as `cursor` for the next page; null on the last." }),
  },
  { title: "ServerList" },
);

export const EventTypeEnum = Type.Enum(EVENT_TYPES, { title: "EventType", description: "What happened; the list is docs/api.md's (packages/domain eventTypes.ts)." });

export const Event = Type.Object({
  id: Type.String({
    pattern: "^[0-9]{1,18}$",
    description: "The event's position in the feed, a decimal integer that only grows in feed order: keep the largest seen and continue after it (`after`, or the SSE id and Last-Event-ID).",
  }),
  type: EventTypeEnum,
  at: Timestamp,
  serverId: Type.Union([Uuid, Type.Null()]),
  hostId: Type.Union([Uuid, Type.Null()]),
  operationId: Type.Union([Uuid, Type.Null()], { description: "The operation the event is about or came from, on every event type alike (never inside data)." }),
  actor: Type.Union([Type.String(), Type.Null()], { description: "The API client whose request caused it; null for the control plane's own work." }),
  data: Type.Record(Type.String(), Type.Unknown()),
}, { title: "Event" });
export type Event = Static<typeof Event>;

export const EventsQuery = Type.Object(
  {
    after: Type.Optional(Type.String({ pattern: "^[0-9]{1,18}$", description: "An event id (position): return the events after it (a nextCursor, or the largest id seen). 0 is the start." })),
    from: Type.Optional(Type.Literal("now", { description: "`now`: start at the feed's end, skipping what happened before (not with `after`)." })),
    limit: Type.Optional(QueryInteger(1, 1000, "How many events a page holds: 1-1000; default 100 (500 for one server's events).")),
    serverId: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);

export const EventPage = Type.Object({
  items: Type.Array(Event),
  nextCursor: Type.Union([Type.String(), Type.Null()], {
    description: "Pass as `after` to continue: the last item's id (or, with no items, `after` itself, or the feed's end with `from=now`).",
  }),
  hasMore: Type.Boolean({ description: "More events are there already; otherwise poll again later (or use the stream)." }),
}, { title: "EventPage" });

export const ReinstallBody = Type.Object(
  { wipe: Type.Optional(Type.Boolean({ description: "Also remove the customer's files (the world, configs): a fresh server. Default false." })) },
  { additionalProperties: false, title: "ReinstallBody" },
);

export const ChangeServerBody = Type.Object(
  {
    type: Type.Optional(ServerTypeEnum),
    minecraftVersion: Type.Optional(MinecraftVersion),
    loaderVersion: Type.Optional(Type.Union([LoaderVersion, Type.Null()])),
    mods: Type.Optional(
      Type.Union(
        [
          ModList,
          Type.Object(
            {
              add: Type.Optional(ModList),
              remove: Type.Optional(Type.Array(ModProject, { maxItems: 100, description: "Projects to take out; each must be one of the server's mods." })),
            },
            { additionalProperties: false, minProperties: 1, description: "Edit the list: remove these projects, then add these (an added project already there is replaced, e.g. to pin another version)." },
          ),
        ],
        { description: "A list replaces the server's mods (an empty list removes them all); `{ add, remove }` edits them." },
      ),
    ),
    modpack: Type.Optional(ModpackRef),
    serverProperties: Type.Optional(ServerProperties),
    memoryMiB: Type.Optional(CreateServerBody.properties.memoryMiB),
    cpuCores: Type.Optional(CreateServerBody.properties.cpuCores),
    diskGiB: Type.Optional(CreateServerBody.properties.diskGiB),
    force: Type.Optional(Type.Boolean({ description: "Allow a game-version downgrade (worlds may not survive it)." })),
  },
  { additionalProperties: false, minProperties: 1, title: "ChangeServerBody" },
);
export type ChangeServerBody = Static<typeof ChangeServerBody>;
