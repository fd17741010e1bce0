/** What a `.mrpack` may be sent as: Modrinth serves `application/x-modrinth-modpack+zip`; clients often say zip or octet-stream. */
export const PACK_MEDIA_TYPES = ["application/x-modrinth-modpack+zip", "application/zip", "application/octet-stream"];

export const MODPACK_UPLOAD_ROUTE = "/v1/modpacks";
