import type { EdgeProviderFactory } from "../provider";
import { rfc2136Factory } from "./rfc2136/edgeProvider";
import { webhookFactory } from "./webhook";

/** Every kind ZLH_EDGE_PROVIDERS may name, one factory each. */
export const EDGE_PROVIDER_FACTORIES: EdgeProviderFactory[] = [rfc2136Factory, webhookFactory];
