import type { GuestFiles } from "../../guest/guestFiles";

/**
 * A DHCP container's client: systemd-networkd (part of Debian's systemd, so
 * in every template with systemd) asks for eth0's address. LXC sets a static
 * address itself before init runs; DHCP must be done inside, as Proxmox's
 * container setup writes `iface eth0 inet dhcp` for ip=dhcp. The template's
 * ifupdown declares only lo, so nothing else claims eth0.
 */
export const NETWORK_FILE = "etc/systemd/network/80-zlh-eth0.network";
/** Enabled as the game unit is (container/installGameUnit.ts): a multi-user.target drop-in, never a link. */
export const NETWORKD_DROP_IN = "etc/systemd/system/multi-user.target.d/zlh-network.conf";
/**
 * networkd leaves a link "pending" until udev has seen it whenever /sys is
 * writable (systemd's udev_available()), and an unprivileged container's
 * /sys is (LXC's userns.conf mounts sys:rw) while no udev runs in it. A
 * read-only /sys for networkd alone is what systemd's container interface
 * expects; networkd configures addresses over netlink, not sysfs.
 */
export const NETWORKD_SYS_READ_ONLY = "etc/systemd/system/systemd-networkd.service.d/zlh-sys-read-only.conf";

export async function enableDhcpClient(guest: GuestFiles): Promise<void> {
  await guest.write(NETWORK_FILE, "# Written by the ZeroLagHub agent: eth0 by DHCP (host network mode dhcp).\n[Match]\nName=eth0\n\n[Network]\nDHCP=ipv4\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n");
  await guest.write(NETWORKD_DROP_IN, "[Unit]\nWants=systemd-networkd.service\n");
  await guest.write(NETWORKD_SYS_READ_ONLY, "[Service]\nReadOnlyPaths=/sys\n");
}
