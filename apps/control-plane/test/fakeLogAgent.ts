import { RawAgent } from "../../../test/support/rawAgent";

/**
 * A host's agent that answers only console-log reads, with lines the test
 * chooses (`answer`): enough to drive log streams through the real gateway
 * without containers. Counts the reads it answered.
 */
export class FakeLogAgent {
  reads = 0;
  answer: (n: number, want: { tail?: number; offset?: number }) => Record<string, unknown> = (n) => ({ lines: [`line ${n}`], offset: n * 10 });
  #stopped = false;
  #loop: Promise<void> | null = null;

  private constructor(readonly raw: RawAgent) {}

  static async start(baseUrl: string, agentToken: string): Promise<FakeLogAgent> {
    const raw = await RawAgent.connect(baseUrl, agentToken);
    await raw.greet();
    const agent = new FakeLogAgent(raw);
    agent.#loop = agent.#run();
    return agent;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const ops = await this.raw.lease(10).catch(() => []);
      for (const op of ops) {
        if (op.kind !== "logs") continue;
        this.reads += 1;
        await this.raw.report(op.opId, op.token, "succeeded", { data: this.answer(this.reads, op.spec.logs ?? {}) }).catch(() => {});
      }
      if (ops.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
    this.raw.close();
  }
}
