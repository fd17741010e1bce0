import type { EdgeProviderFactory } from "../provider";
import { cloudflareFactory } from "./cloudflare/provider";
import { mcRouterFactory } from "./mcRouter/provider";
import { rfc2136Factory } from "./rfc2136/edgeProvider";
import { technitiumFactory } from "./technitium/provider";
import { velocityFactory } from "./velocity/provider";
import { webhookFactory } from "./webhook";

/** Every kind a ZLH_EDGE_PROVIDERS entry may name, by its factory. */
export const EDGE_PROVIDER_FACTORIES: EdgeProviderFactory[] = [rfc2136Factory, technitiumFactory, cloudflareFactory, velocityFactory, mcRouterFactory, webhookFactory];
