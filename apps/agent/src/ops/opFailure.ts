/** An operation's failure as reported to the control plane. */
export class OpFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** Whether another attempt may succeed (the control plane requeues it while attempts remain). */
    readonly retryable: boolean,
    /** What the failure carries for the control plane (the result's `data`): a game that ended while starting, its crash evidence. */
    readonly data?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "OpFailure";
  }
}
