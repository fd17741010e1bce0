/** Upstream endpoints. Mirrors hold the same resources under the same paths (see mirrorPath). */
export const FABRIC_META = "https://meta.fabricmc.net/v2";
export const MOJANG_VERSION_MANIFEST = "https://piston-meta.mojang.com/mc/game/version_manifest_v2.json";
export const MODRINTH_API = "https://api.modrinth.com/v2";
/** PaperMC's downloads API v3 ("Fill"); its v2 on api.papermc.io is deprecated and sunsets. Jars are on fill-data.papermc.io, at the URLs v3 lists. */
export const PAPER_API = "https://fill.papermc.io/v3";
export const PURPUR_API = "https://api.purpurmc.org/v2/purpur";
export const QUILT_META = "https://meta.quiltmc.org/v3";
