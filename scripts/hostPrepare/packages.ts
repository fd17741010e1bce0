import { type Report, sh } from "./report";

/**
 * Debian packages a plain-LXC host needs: LXC itself, debootstrap and zstd
 * for the template, and Java 17 (Minecraft 1.20.1's runtime), which the
 * real-container suite copies into containers; the JDK's javac builds the
 * stand-in server there. dnsmasq-base is the DHCP server of the suite's DHCP
 * tests (the binary only: no service is started); rsync (lxc-copy's) and
 * strace are the benchmark's real-container phase's. chromium is the
 * operator console's browser test's (test/ui), which `pnpm test` runs.
 */
export const PACKAGES = ["lxc", "debootstrap", "zstd", "openjdk-17-jre-headless", "openjdk-17-jdk-headless", "dnsmasq-base", "rsync", "strace", "chromium"];

async function installed(pkg: string): Promise<boolean> {
  try {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ${Status} is dpkg-query's own format field, not JavaScript's
    return (await sh("dpkg-query", ["-W", "-f=${Status}", pkg], 10_000)).trim() === "install ok installed";
  } catch {
    return false;
  }
}

export async function preparePackages(report: Report, install: boolean): Promise<void> {
  const absent: string[] = [];
  for (const pkg of PACKAGES) {
    if (await installed(pkg)) report.ok(`package ${pkg} is installed`);
    else absent.push(pkg);
  }
  if (absent.length === 0) return;
  if (!install) {
    report.lack(`packages ${absent.join(", ")} are not installed (run with --install as root, or apt-get install them)`);
    return;
  }
  console.log(`...      apt-get install ${absent.join(" ")}`);
  await sh("apt-get", ["update", "-q"], 10 * 60_000);
  await sh("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...absent], 20 * 60_000);
  for (const pkg of absent) {
    if (await installed(pkg)) report.did(`installed package ${pkg}`);
    else report.lack(`package ${pkg} is still not installed after apt-get install`);
  }
}
