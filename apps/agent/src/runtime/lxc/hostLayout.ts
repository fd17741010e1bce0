/**
 * Where a plain-LXC host keeps things, shared by `pnpm host:prepare` (which
 * sets them up) and the `lxc` runtime (which uses them), so the two cannot
 * drift apart.
 */

/**
 * The LXC path (`lxc-* -P`). Not /var/lib/lxc: that directory is 0700, and an
 * unprivileged container's root (host uid 100000) must be able to traverse
 * the path to its rootfs. This one is 0711 and ours alone.
 */
export const LXC_PATH = "/var/lib/zlh/lxc";

/** The template tarball, built once by host:prepare and reused; outside the repository. */
export const TEMPLATE_DIR = "/var/cache/zlh/templates";
export const TEMPLATE_FILE = "debian-12-zlh-standard_12_amd64.tar.zst";

/** The unprivileged id range, as Proxmox maps it: container id 0 is host id 100000. */
export const ID_BASE = 100_000;
export const ID_COUNT = 65_536;

/**
 * The bridge the containers' veth interfaces join: a local-only /24 with the
 * host at .1, no NAT, no forwarding, no route out. Containers get static
 * addresses .2 to .254.
 */
export const BRIDGE = "zlhbr0";
export const SUBNET_PREFIX = "10.213.77";
export const HOST_ADDRESS = `${SUBNET_PREFIX}.1`;
export const PREFIX_LENGTH = 24;
