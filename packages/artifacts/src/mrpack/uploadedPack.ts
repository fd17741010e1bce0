/**
 * The URL a manifest gives an uploaded pack: no upstream has it, so agents
 * fetch it from the control plane that stored it (GET /v1/agent/modpack?sha512=<sha512>,
 * with their host token) and verify it like any other pinned file.
 */
export const UPLOADED_PACK_PREFIX = "zlh:modpack/";
export const uploadedPackUrl = (sha512: string) => `${UPLOADED_PACK_PREFIX}${sha512}`;
