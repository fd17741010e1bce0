import { TSIG_ERROR } from "./tsig";

/**
 * Why a DNS server did not do what was asked, as a code a caller can act on
 * (a `reachable=false` reason, a retry or not) and a sentence an operator can
 * act on. Messages name the server, zone and key name; never the secret.
 */
export type Rfc2136ErrorCode = "not_owner" | "refused" | "notauth" | "badkey" | "badsig" | "badtime" | "notzone" | "servfail" | "timeout" | "unreachable" | "protocol";

export class Rfc2136Error extends Error {
  constructor(
    readonly code: Rfc2136ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "Rfc2136Error";
  }
}

/** RFC 1035 section 4.1.1 and RFC 2136 section 2.2. */
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, YXDOMAIN: 6, YXRRSET: 7, NXRRSET: 8, NOTAUTH: 9, NOTZONE: 10 } as const;

export interface ErrorContext {
  server: string;
  zone: string;
  keyName: string;
}

/** A TSIG error field (from the server, or our own check of its reply) as an error. */
export function tsigFailure(tsigError: number | null, detail: string, c: ErrorContext): Rfc2136Error {
  if (tsigError === TSIG_ERROR.BADKEY) return new Rfc2136Error("badkey", `${c.server} does not know TSIG key ${c.keyName} (BADKEY): check the key's name and algorithm in both places.`);
  if (tsigError === TSIG_ERROR.BADSIG) return new Rfc2136Error("badsig", `${c.server} could not verify the signature made with TSIG key ${c.keyName} (BADSIG): the secret differs from the server's.`);
  if (tsigError === TSIG_ERROR.BADTIME) return new Rfc2136Error("badtime", `${c.server} and this machine disagree on the time by more than 300 s (BADTIME): check both clocks.`);
  return new Rfc2136Error("protocol", `the reply from ${c.server} was refused: ${detail}.`);
}

/** An rcode other than NOERROR (and the prerequisite failures the caller handles) as an error. */
export function rcodeFailure(rcode: number, c: ErrorContext): Rfc2136Error {
  switch (rcode) {
    case RCODE.REFUSED:
      return new Rfc2136Error("refused", `${c.server} refused the change to zone ${c.zone} (REFUSED): TSIG key ${c.keyName} is not allowed to update it (allow-update or update-policy).`);
    case RCODE.NOTAUTH:
      return new Rfc2136Error("notauth", `${c.server} is not authoritative for zone ${c.zone} (NOTAUTH): check the zone, and that the server is its primary.`);
    case RCODE.NOTZONE:
      return new Rfc2136Error("notzone", `a name is not inside zone ${c.zone} (NOTZONE).`);
    case RCODE.SERVFAIL:
      return new Rfc2136Error("servfail", `${c.server} failed to apply the change to zone ${c.zone} (SERVFAIL): see the server's log.`);
    default:
      return new Rfc2136Error("protocol", `${c.server} answered rcode ${rcode} for zone ${c.zone}.`);
  }
}
