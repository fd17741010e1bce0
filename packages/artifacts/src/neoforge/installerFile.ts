/**
 * The URL a manifest gives a file NeoForge's installer made (a processor's
 * output, unix_args.txt, the run scripts): no upstream serves it, so agents
 * fetch it from the control plane that ran the installer (GET
 * /v1/agent/neoforge-file?sha512=<sha512>, with their host token) and
 * verify it like any other pinned file. Its manifest kind is `installed`.
 */
export const INSTALLER_FILE_PREFIX = "zlh:neoforge/";
export const installerFileUrl = (sha512: string) => `${INSTALLER_FILE_PREFIX}${sha512}`;
