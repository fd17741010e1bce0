/** LISTEN/NOTIFY channels between control-plane processes. Payload: a host id. */
export const WORK_CHANNEL = "zlh_work";

/**
 * A server's edge inputs changed (created, status, address, game port, VMID: the trigger servers_edge_dirty
 * notifies at commit). Payload: empty. What caches a body derived from them (the Traefik endpoint) rebuilds.
 */
export const EDGE_CHANNEL = "zlh_edge";
