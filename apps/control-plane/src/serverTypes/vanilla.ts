import { VANILLA_SERVER_JAR } from "@zlh/artifacts";
import { ResolutionError } from "../fabric/errors";
import type { TypeResolver } from "./serverType";

/**
 * Vanilla: Mojang's server jar, as Mojang publishes it (sha1 and size
 * checked), at `server.jar`, started with `java -jar server.jar nogui`. The
 * jar is self-contained (since 1.18 a bundler that unpacks its own libraries
 * from inside itself), so its first boot needs nothing else. No loader, so
 * no mods: the API refuses them first; this refuses them again for any
 * other caller.
 */
export const resolveVanilla: TypeResolver = async ({ request, mojangServer }) => {
  if (request.mods.length > 0) throw new ResolutionError("A vanilla server runs no mods; remove them, or choose the fabric type.");
  if (request.loaderVersion) throw new ResolutionError("A vanilla server has no loader; loaderVersion must be null.");
  return { loader: "", installer: "", mods: [], files: [{ ...(await mojangServer()), path: VANILLA_SERVER_JAR }], launch: { jar: VANILLA_SERVER_JAR } };
};
