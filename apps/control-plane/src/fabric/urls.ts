/** Upstream endpoints. Mirrors hold the same resources under the same paths (see mirrorPath). */
export const FABRIC_META = "https://meta.fabricmc.net/v2";
export const MOJANG_VERSION_MANIFEST = "https://piston-meta.mojang.com/mc/game/version_manifest_v2.json";
export const MODRINTH_API = "https://api.modrinth.com/v2";
export const PAPER_API = "https://api.papermc.io/v2";
export const PURPUR_API = "https://api.purpurmc.org/v2/purpur";
export const QUILT_META = "https://meta.quiltmc.org/v3";
