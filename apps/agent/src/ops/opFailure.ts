/** An operation's failure as reported to the control plane. */
export class OpFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** Whether another attempt may succeed (the control plane requeues it while attempts remain). */
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "OpFailure";
  }
}
