/**
 * The phase numbers (`n/5`) of the lines the CLI draws while it waits, in all and per attempt of the operation:
 * a loaded machine may expire a lease, and the CLI then says `retrying: attempt N of the provision` and draws
 * that attempt's phases again. Within one attempt they never go back.
 */
export function cliPhaseSteps(text: string): { all: number[]; attempts: number[][] } {
  const steps = (part: string) => part.split("\n").filter((l) => l.startsWith("[")).map((l) => Number(/ (\d)\/5 /.exec(l)?.[1]));
  return { all: steps(text), attempts: text.split(/^retrying: attempt \d+ of the provision$/m).map(steps) };
}
