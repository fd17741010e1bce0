import type { EdgeProviderFactory } from "../provider";
import { cloudflareFactory } from "./cloudflare/provider";
import { mcRouterFactory } from "./mcRouter/provider";
import { technitiumFactory } from "./technitium/provider";
import { velocityFactory } from "./velocity/provider";

/** Every kind a ZLH_EDGE_PROVIDERS entry may name, by its factory. */
export const EDGE_PROVIDER_FACTORIES: EdgeProviderFactory[] = [technitiumFactory, cloudflareFactory, velocityFactory, mcRouterFactory];
