import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SandboxRefusedError, sandboxRoot } from "../../src/neoforge/sandboxRoot";

describe("what the installer's sandbox shows of the host", () => {
  let base: string;
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "zlh-sandbox-root-"));
  });
  afterAll(() => rm(base, { recursive: true, force: true }));

  /** A JRE laid out as Debian's: bin/java, and conf files that are links into a directory outside its home. */
  const jre = async (name: string) => {
    const home = join(base, name);
    const etc = join(base, `etc-${name}`);
    await mkdir(join(home, "bin"), { recursive: true });
    await mkdir(join(home, "conf/security"), { recursive: true });
    await mkdir(join(etc, "security"), { recursive: true });
    await writeFile(join(home, "bin/java"), "#!/bin/sh\n");
    await chmod(join(home, "bin/java"), 0o755);
    await writeFile(join(etc, "net.properties"), "");
    await writeFile(join(etc, "security/java.security"), "");
    await symlink(join(etc, "net.properties"), join(home, "conf/net.properties"));
    await symlink(join(etc, "security/java.security"), join(home, "conf/security/java.security"));
    await symlink(join(base, "nowhere"), join(home, "conf/dangling"));
    return { home, etc };
  };

  it("shows /usr, java's home by its real path and the directories its links point into, each once", async () => {
    const { home, etc } = await jre("jdk");
    const link = join(base, "java-link");
    await symlink(join(home, "bin/java"), link);
    const root = await sandboxRoot(link);
    expect(root.java).toBe(join(home, "bin/java"));
    const dirs = root.binds.filter((b) => !["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc/ld.so.cache"].includes(b));
    expect(dirs).toEqual([etc, home, "/usr"].sort());
  });

  it("finds java on PATH as the shell would, and refuses when there is none", async () => {
    const root = await sandboxRoot("sh");
    expect(root.binds).toContain("/usr");
    await expect(sandboxRoot("zlh-no-such-java")).rejects.toThrow(new SandboxRefusedError("no zlh-no-such-java to run the NeoForge installer with on PATH; it was not run."));
  });

  it("refuses a java whose home links into the host's /etc itself, rather than show all of it", async () => {
    const { home } = await jre("jdk-etc");
    await symlink("/etc/hostname", join(home, "conf/hostname"));
    await expect(sandboxRoot(join(home, "bin/java"))).rejects.toThrow(`java's home ${home} links into /etc, which the NeoForge installer's sandbox does not show; it was not run.`);
  });

  it("refuses a java at a path the sandbox's init cannot match to its mounts", async () => {
    const { home } = await jre("jdk with space");
    await expect(sandboxRoot(join(home, "bin/java"))).rejects.toThrow(SandboxRefusedError);
  });
});
