/**
 * The sandbox's init, run by `sh -c` as PID 1 of the new PID namespace,
 * root in the new mount namespace (the real root, or the control plane's
 * uid mapped to root in a new user namespace). Arguments: the work space's
 * size in bytes, its inode bound, the host paths to show read-only
 * (sandboxRoot.ts), `--`, the installer's command (already dropped to no
 * privileges: setpriv).
 *
 * It builds the installer's whole root in a tmpfs of that size mounted over
 * /run (which also hides the host's /run and its sockets): the read-only
 * binds (recursive: in a user namespace the kernel refuses a plain bind of
 * a mount with mounts under it that systemd's Protect* settings made, and
 * every mount under one is made read-only too), /dev's null, zero, random and urandom, a fresh /proc, a /tmp, and
 * the writable /work and /server; then pivot_root into it and detaches the
 * old root, so no host path is left in this mount namespace to reach, by
 * `..`, a link or a chroot escape. It then says `ready` on fd 3 and waits
 * for a line on stdin: meanwhile the control plane opens the root through
 * /proc/<pid>/root (keeping the tmpfs alive past the sandbox) and writes the
 * installer and its pre-placed files into it. The installer runs in a PID
 * namespace of its own (with its own /proc): it cannot see, signal, trace or
 * open the fds of this init, whose fd 3 it has not inherited either; when it
 * exits, everything it started dies with it, and this init reports `exit
 * <status>` on fd 3 and ends, which ends the sandbox.
 */
export const SANDBOX_INIT = `set -eu
size=$1; inodes=$2; shift 2
mount -t tmpfs -o "size=$size,nr_inodes=$inodes,mode=755" zlh-neoforge-install /run
cd /run
mkdir .old proc dev tmp work server
chmod 1777 tmp
for d in null zero random urandom; do : > "dev/$d"; mount --bind "/dev/$d" "dev/$d"; done
while [ "$1" != "--" ]; do
  p=$1; shift
  if [ -L "$p" ]; then ln -s "$(readlink "$p")" ".$p"; continue; fi
  if [ -d "$p" ]; then mkdir -p ".$p"; else mkdir -p ".$(dirname "$p")"; : > ".$p"; fi
  mount --rbind "$p" ".$p"
  for m in $(awk -v t="/run$p" '$5 == t || index($5, t "/") == 1 { print $5 }' /proc/self/mountinfo); do mount -o remount,bind,ro "$m"; done
done
shift
mount -t proc -o nosuid,nodev,noexec zlh-proc proc || {
  echo "zlh-sandbox: a fresh /proc cannot be mounted here: in a user namespace the kernel refuses it while parts of the host's /proc are covered (systemd's ProtectKernelTunables=yes does that; see docs/operations.md)" >&2
  exit 1
}
pivot_root . .old
umount -l /.old
rmdir /.old
rm -rf /mount
cd /work
echo ready >&3
read -r go
status=0
unshare --pid --fork --kill-child --mount-proc -- "$@" </dev/null 3>&- || status=$?
echo "exit $status" >&3
`;
