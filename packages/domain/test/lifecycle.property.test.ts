import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  allowedSources,
  DESIRED_STATES,
  DONE_STATUS,
  hasContainer,
  isChangeable,
  nextOperationKind,
  retryTarget,
  SERVER_STATUSES,
  SERVER_TRANSITIONS,
  WORKING_STATUS,
  type PlannerInput,
  type ServerStatus,
} from "../src/index";

/** transitionServer's rule: a move is written only from a status the table lists as a source of `to`. */
const legal = (from: ServerStatus, to: ServerStatus) => allowedSources(to).includes(from);

const plannerInput: fc.Arbitrary<PlannerInput> = fc.record({
  status: fc.constantFrom(...SERVER_STATUSES),
  desiredState: fc.constantFrom(...DESIRED_STATES),
  generation: fc.integer({ min: 1, max: 6 }),
  restartGeneration: fc.option(fc.integer({ min: 1, max: 6 })),
  reinstallGeneration: fc.option(fc.integer({ min: 1, max: 6 })),
  changePending: fc.boolean(),
  hasManifest: fc.boolean(),
  healPending: fc.boolean(),
});

describe("the lifecycle tables against the state machine", () => {
  it("every operation the planner picks moves the server only along the transition table: into its working status, then its done status", () => {
    fc.assert(
      fc.property(plannerInput, (s) => {
        const kind = nextOperationKind(s);
        if (kind === null) return;
        if (kind === "destroy") {
          // A destroy runs from `deleting` (the delete intent moves the server there) and ends `deleted`.
          expect(s.status === "deleting" || legal(s.status, "deleting"), `${s.status} -> deleting`).toBe(true);
          expect(legal("deleting", "deleted")).toBe(true);
          return;
        }
        const working = WORKING_STATUS[kind]!;
        const done = DONE_STATUS[kind]!;
        expect(working, kind).toBeDefined();
        // Already there (a start planned for a server left `starting`) is no move at all.
        expect(s.status === working || legal(s.status, working), `${s.status} -> ${working} (${kind})`).toBe(true);
        expect(legal(working, done), `${working} -> ${done} (${kind})`).toBe(true);
        // A provision applied to a server wanted stopped ends stopped (effects.ts doneStatus).
        if (kind === "provision") expect(legal(working, "stopped")).toBe(true);
        // A working status that fails for good fails the server.
        expect(legal(working, "failed")).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("plans nothing but a destroy for a server being deleted, and nothing at all for a deleted one", () => {
    fc.assert(
      fc.property(plannerInput, (s) => {
        const kind = nextOperationKind(s);
        if (s.status === "deleted" && s.desiredState === "deleted") expect(kind).toBeNull();
        if (s.desiredState === "deleted" && s.status !== "deleted") expect(kind).toBe("destroy");
        if (s.status === "failed" && s.desiredState !== "deleted") expect(kind).toBeNull();
      }),
      { numRuns: 2000 },
    );
  });

  it("a change or a reinstall is planned only over an existing container", () => {
    fc.assert(
      fc.property(plannerInput, (s) => {
        if (s.status === "pending" || s.status === "provisioning" || s.desiredState === "deleted") return;
        const kind = nextOperationKind(s);
        if (kind === "provision") expect(hasContainer(s.status) && isChangeable(s.status), s.status).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("a failed server asked to run again goes where the table allows from failed", () => {
    for (const hasManifest of [true, false]) {
      for (const wasProvisioned of [true, false]) {
        const to = retryTarget({ hasManifest, wasProvisioned });
        expect(SERVER_TRANSITIONS.failed, `${hasManifest}/${wasProvisioned}`).toContain(to);
      }
    }
    expect(retryTarget({ hasManifest: false, wasProvisioned: false })).toBe("pending");
    expect(retryTarget({ hasManifest: true, wasProvisioned: false })).toBe("provisioning");
    expect(retryTarget({ hasManifest: true, wasProvisioned: true })).toBe("stopped");
  });
});
