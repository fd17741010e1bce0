// Copied from 2e9bd19:packages/db/src/sql/channels.ts by refresh.sh; do not edit.
/** LISTEN/NOTIFY channels between control-plane processes. Payload: a host id. */
export const WORK_CHANNEL = "zlh_work";
