import Type from "typebox";
import { QueryInteger } from "./primitives";

/** One sample of a server's live figures (docs/live-stats.md). */
export const StatsSample = Type.Object({
  at: Type.String({ format: "date-time", description: "When the control plane received it (the agent reads at its 30 s cadence)." }),
  cpuPercent: Type.Union([Type.Number(), Type.Null()], { description: "CPU since the previous sample, in percent of one core (200 is two cores busy); null on a container's first sample." }),
  memoryBytes: Type.Union([Type.Integer(), Type.Null()], { description: "Memory charged to the container's cgroup (page cache included, as its limit counts it); on the sim, the server process's RSS." }),
  playersOnline: Type.Optional(
    Type.Union([Type.Integer(), Type.Null()], { description: "Players online, from the status ping on its game port; null when it did not answer (within 1.5 s) or the agent does not know its port yet. Absent from samples older than the field." }),
  ),
  playersMax: Type.Optional(Type.Union([Type.Integer(), Type.Null()], { description: "The server's player limit, from the same ping." })),
  diskBytes: Type.Optional(
    Type.Union([Type.Integer(), Type.Null()], { description: "Bytes its files allocate on disk (a sparse file counts what it allocates), walked every 5 minutes; null before the first walk, where the runtime has no walkable folder, or past the walk's bounds." }),
  ),
});

export const StatsQuery = Type.Object(
  {
    window: Type.Optional(QueryInteger(60, 1800, "Seconds back from now (60-1800; default 1800: all that is kept).")),
  },
  { additionalProperties: false },
);

export const StatsHistory = Type.Object({
  items: Type.Array(StatsSample, { description: "Oldest first; at most 60 (30 minutes at the 30 s cadence)." }),
}, { title: "StatsHistory" });
