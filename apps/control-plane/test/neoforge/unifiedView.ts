/**
 * /proc/self/mountinfo's cgroup2 lines only: this machine seen as a pure
 * cgroup v2 one. Its v1 memory hierarchy would otherwise win in
 * cgroupLayout (hybrid), and the v2 path is what is run against the real
 * unified hierarchy.
 */
export const unifiedOnly = (mountinfo: string) =>
  mountinfo
    .split("\n")
    .filter((line) => line.split(" - ")[1]?.startsWith("cgroup2 "))
    .join("\n");
