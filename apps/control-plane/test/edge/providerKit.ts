import { expect } from "vitest";
import { desiredEdge, type EdgeNaming } from "../../src/edge/desiredEdge";
import { DEFAULT_NAME_TEMPLATE, parseNameTemplate } from "../../src/edge/naming";
import { EdgeProviderError } from "../../src/edge/provider";

/** What the HTTP providers' tests share: a zone, a server's desired edge, and how a refusal is checked. */
export const SERVER = "5e1f5a5e-0d2b-4c53-8a4e-2f0d3c1b7a91";
export const OTHER = "0a0b0c0d-1111-4222-8333-444455556666";
export const naming: EdgeNaming = { zone: "play.test", template: parseNameTemplate(DEFAULT_NAME_TEMPLATE), edge: null, ttl: 60 };

export const edgeOf = (vmid: number, address = "10.213.77.50", gamePort = 25565, id = SERVER) => desiredEdge({ id, vmid, type: "fabric", address, gamePort }, naming);

export const signal = () => AbortSignal.timeout(30_000);

/** The call's EdgeProviderError, checked to never contain any of `secrets`. */
export async function rejection(p: Promise<unknown>, secrets: readonly string[] = []): Promise<EdgeProviderError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(EdgeProviderError);
  const err = e as EdgeProviderError;
  for (const s of secrets) expect(err.message).not.toContain(s);
  // A sentence that names the provider.
  expect(err.message).toMatch(/^[\w-]+ provider "[^"]+" .+\.$/);
  return err;
}
