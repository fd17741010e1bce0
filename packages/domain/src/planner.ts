import { hasContainer } from "./lifecycle";
import type { OperationKind } from "./operations";
import type { DesiredState, ServerStatus } from "./serverStatus";

export interface PlannerInput {
  status: ServerStatus;
  desiredState: DesiredState;
  generation: number;
  restartGeneration: number | null;
  /** The generation at which a reinstall was asked for: provisioned again, from scratch. */
  reinstallGeneration?: number | null;
  /** A change (PATCH) of this generation is resolved and waiting to be applied. */
  changePending?: boolean;
  /** Provisioning waits for the pinned manifest (resolved by the provision job). */
  hasManifest: boolean;
  /** A crashed server inside its crash-loop backoff (crashLoop.ts): self-heal waits until it ends. */
  healPending?: boolean;
  /** A delete waits (bounded, ZLH_EDGE_DELETE_GRACE_SECONDS) for its edge records to be removed and verified. */
  edgeRemovalPending?: boolean;
}

/**
 * The one decision of level-based convergence: given what the server is and
 * what is wanted, which operation (if any) moves it closer. Called only when
 * the server has no live operation, so each step is planned once.
 *
 * - A server that never came up is provisioned first (once its manifest is
 *   resolved), whatever is wanted next, so that nothing stays `pending`; the
 *   next step then follows.
 * - `failed` is left alone until someone asks again (a start, or a delete).
 * - A crashed server (`stopped`, wanted running) waits out its crash-loop
 *   backoff before it is started again.
 */
export function nextOperationKind(s: PlannerInput): OperationKind | null {
  if (s.desiredState === "deleted") return s.status === "deleted" || s.edgeRemovalPending ? null : "destroy";
  if (s.status === "pending" || s.status === "provisioning") return s.hasManifest ? "provision" : null;
  // Called only with nothing in flight: a server left `starting` or `stopping`
  // (its operation expired, or was cancelled by a newer intent) is driven on
  // from wherever it is; start and stop are idempotent on the host.
  const moving = s.status === "starting" || s.status === "stopping";
  // A reinstall is a provision of the current generation over the existing container (once: operations
  // are unique per generation and kind), settled or moving; it also wants the server running.
  const settled = hasContainer(s.status);
  if (s.reinstallGeneration === s.generation && s.hasManifest && settled) return "provision";
  // A change is applied by a provision over the container, too (it carries the requested manifest).
  if (s.changePending && settled) return "provision";
  if (s.desiredState === "stopped") return s.status === "running" || moving ? "stop" : null;
  const restartAsked = s.restartGeneration === s.generation;
  if (s.status === "running") return restartAsked ? "restart" : null;
  if (s.status === "stopped" && s.healPending) return null;
  if (s.status === "stopped" || moving) return restartAsked && s.status === "starting" ? "restart" : "start";
  return null;
}
