/** LISTEN/NOTIFY channels between control-plane processes. Payload: a host id. */
export const WORK_CHANNEL = "zlh_work";
