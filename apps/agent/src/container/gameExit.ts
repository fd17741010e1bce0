import type { GuestFiles } from "../guest/guestFiles";

/**
 * How the game unit last ended, as systemd told it: the unit's ExecStopPost
 * (gameUnit.ts) writes `$SERVICE_RESULT $EXIT_CODE $EXIT_STATUS` to this
 * file in the container's /run (a tmpfs: gone at reboot), and its
 * ExecStartPre removes it, so a record is always of the current boot's last
 * stop. Written by the container's root, but read as hostile input all the
 * same (a customer with root in the container can write anything there):
 * bounded, one line of known tokens, anything else is no record.
 */
export const GAME_EXIT_FILE = "/run/zlh-server.exit";
const MAX_BYTES = 256;

export interface GameExit {
  /** systemd's $SERVICE_RESULT: success, exit-code, signal, core-dump, timeout, oom-kill, ... */
  result: string;
  /** $EXIT_CODE: exited, killed or dumped. */
  code: string;
  /** $EXIT_STATUS: an exit status (0-255) or a signal name (KILL, TERM, ...). */
  status: string;
}

export function parseGameExit(text: string | null): GameExit | null {
  const m = /^([a-z][a-z-]{0,31}) (exited|killed|dumped) ([0-9]{1,3}|[A-Z][A-Z0-9+]{0,15})\n?$/.exec(text ?? "");
  return m ? { result: m[1]!, code: m[2]!, status: m[3]! } : null;
}

/** The record through the container boundary; null when absent, too large or malformed. */
export async function readGameExit(guest: GuestFiles): Promise<GameExit | null> {
  const r = await guest.read(GAME_EXIT_FILE.slice(1), 0, MAX_BYTES + 1);
  if (!r.exists || r.size > MAX_BYTES) return null;
  return parseGameExit(r.data.toString("utf8"));
}

/** The shell line ExecStopPost runs (as the container's root: `+`); `$$` is a literal `$` to systemd, so the shell expands them. */
export const RECORD_EXIT_COMMAND = `+/bin/sh -c 'echo "$$SERVICE_RESULT $$EXIT_CODE $$EXIT_STATUS" > ${GAME_EXIT_FILE}'`;
export const CLEAR_EXIT_COMMAND = `+/bin/rm -f ${GAME_EXIT_FILE}`;
