/**
 * `tsx lxcInventoryProbe.ts <runs>`: the agent's per-heartbeat inventory
 * (the lxc runtime's list()) `runs` times, for strace to count what it costs
 * (lxcObservation.ts runs it with 0 runs and with N and subtracts). Prints
 * the containers it saw.
 */
import { LxcRuntime } from "../../apps/agent/src/runtime/lxc";

const runs = Number(process.argv[2] ?? 1);
const rt = new LxcRuntime();
let seen = 0;
for (let i = 0; i < runs; i++) seen = (await rt.list()).length;
console.log(seen);
