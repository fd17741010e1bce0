import { DEFAULT_SERVER_TYPE, type ServerType } from "@zlh/domain";
import { resolveFabricType } from "./fabric";
import { resolveNeoforge } from "./neoforge";
import type { TypeResolver } from "./serverType";
import { resolvePaper } from "./paper";
import { resolvePurpur } from "./purpur";
import { resolveQuiltType } from "./quilt";
import { resolveVanilla } from "./vanilla";

/** Every type's resolver: the Record makes a type of SERVER_TYPES without one fail to compile. */
const RESOLVERS: Record<ServerType, TypeResolver> = { fabric: resolveFabricType, vanilla: resolveVanilla, paper: resolvePaper, purpur: resolvePurpur, quilt: resolveQuiltType, neoforge: resolveNeoforge };

export const resolverFor = (type: ServerType | undefined): TypeResolver => RESOLVERS[type ?? DEFAULT_SERVER_TYPE];
export type { ManifestRequest, ResolveSettings } from "./serverType";
