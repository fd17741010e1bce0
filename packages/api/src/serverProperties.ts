import Type from "typebox";
import { SafeText } from "./primitives";

const Bool = Type.Boolean();
const Int = (minimum: number, maximum: number) => Type.Integer({ minimum, maximum });

/**
 * The server.properties keys a customer may set. Everything else is refused:
 * the platform owns ports, RCON and query (see MANAGED_PROPERTY_KEYS), and an
 * allow-list keeps unknown keys from turning into surprises on first boot.
 */
export const ServerProperties = Type.Object(
  {
    motd: Type.Optional(SafeText(0, 256)),
    "max-players": Type.Optional(Int(1, 1000)),
    difficulty: Type.Optional(Type.Union([Type.Literal("peaceful"), Type.Literal("easy"), Type.Literal("normal"), Type.Literal("hard")])),
    gamemode: Type.Optional(Type.Union([Type.Literal("survival"), Type.Literal("creative"), Type.Literal("adventure"), Type.Literal("spectator")])),
    pvp: Type.Optional(Bool),
    "view-distance": Type.Optional(Int(2, 32)),
    "simulation-distance": Type.Optional(Int(2, 32)),
    "white-list": Type.Optional(Bool),
    "enforce-whitelist": Type.Optional(Bool),
    hardcore: Type.Optional(Bool),
    "allow-flight": Type.Optional(Bool),
    "allow-nether": Type.Optional(Bool),
    "spawn-monsters": Type.Optional(Bool),
    "spawn-protection": Type.Optional(Int(0, 1000)),
    "online-mode": Type.Optional(Bool),
    "level-seed": Type.Optional(SafeText(0, 64)),
    "level-type": Type.Optional(Type.Union([Type.Literal("minecraft:normal"), Type.Literal("minecraft:flat"), Type.Literal("minecraft:large_biomes"), Type.Literal("minecraft:amplified")])),
  },
  { additionalProperties: false, maxProperties: 32 },
);

/** Keys the platform writes itself; a request naming one gets `managed_property`. */
export function isManagedPropertyKey(key: string): boolean {
  return ["server-port", "server-ip", "query.port", "enable-query", "enable-rcon"].includes(key) || key.startsWith("rcon.");
}
