import { describe, expect, it } from "vitest";
import { recognizeCrash } from "../src/crashCause";
import { safeLines } from "../src/crashText";

const limits = { maxLines: 5, maxLineChars: 80 };

describe("recognizeCrash", () => {
  it("names the Java a jar needs from the JVM's own refusal on stderr", () => {
    // What java 17 prints for a jar built for Java 21 (Minecraft 1.20.5+), before the game writes any log.
    const stderr = [
      "Error: LinkageError occurred while loading main class net.fabricmc.loader.impl.launch.server.FabricServerLauncher",
      "\tjava.lang.UnsupportedClassVersionError: net/fabricmc/loader/impl/launch/server/FabricServerLauncher has been compiled by a more recent version of the Java Runtime (class file version 65.0), this version of the Java Runtime only recognizes class file versions up to 61.0",
    ];
    const d = recognizeCrash("game_exited", { stderr, log: ["[10:00:00] [Server thread/INFO]: Done (3.2s)! For help, type \"help\""] });
    expect(d.cause).toBe("java_version");
    expect(d.hint).toContain("needs Java 21 but runs on Java 17");
    expect(d.summary).toContain("class file version 65.0");
  });

  it("recognises UnsupportedClassVersionError alone (a mod's class, in a crash report)", () => {
    const d = recognizeCrash("game_exited", {
      crashReport: { name: "crash-2026-12-02_10.00.00-server.txt", lines: ["Description: Exception in server tick loop", "", "java.lang.UnsupportedClassVersionError: com/example/Mod : Unsupported major.minor version 65.0"] },
    });
    expect(d.cause).toBe("java_version");
    // No field sets a server's Java (it is its game version's): the hint names what the customer can change.
    expect(d.hint).not.toContain("javaMajor");
    expect(d.hint).toMatch(/replace the mod that needs it with a build for this Minecraft version, or change the server's minecraftVersion to a newer one; if the server's own jar needs it, contact the operator\.$/);
  });

  it("recognises the EULA, a taken port, a missing mod dependency and a corrupt world from vanilla's and Fabric's wording", () => {
    const cases: [string[], string][] = [
      [["[10:00:01] [main/INFO]: You need to agree to the EULA in order to run the server. Go to eula.txt for more info."], "eula_not_accepted"],
      [
        [
          "[10:00:05] [Server thread/WARN]: **** FAILED TO BIND TO PORT!",
          "[10:00:05] [Server thread/WARN]: The exception was: java.net.BindException: Address already in use",
          "[10:00:05] [Server thread/WARN]: Perhaps a server is already running on that port?",
        ],
        "port_in_use",
      ],
      [
        [
          "[10:00:02] [main/ERROR]: Incompatible mods found!",
          "net.fabricmc.loader.impl.FormattedException: Some of your mods are incompatible with the game or each other!",
          "\t - Mod 'Sodium Extra' (sodium-extra) 0.5.4 requires any version of sodium, which is missing!",
        ],
        "mod_dependency",
      ],
      [["[10:00:03] [main/ERROR]: Exception reading ./world/level.dat", "java.util.zip.ZipException: Not in GZIP format"], "corrupt_world"],
      [["java.lang.OutOfMemoryError: Java heap space"], "java_heap"],
    ];
    for (const [log, cause] of cases) expect(recognizeCrash("game_exited", { log }).cause).toBe(cause);
    const dep = recognizeCrash("game_exited", { log: cases[2]![0] });
    expect(dep.hint).toContain("Incompatible mods found!");
  });

  it("takes a kernel OOM kill over what the game wrote, and a crash report's description when no rule matches", () => {
    expect(recognizeCrash("out_of_memory", { log: ["You need to agree to the EULA in order to run the server."] }).cause).toBe("out_of_memory");
    const report = {
      name: "crash-2026-12-02_10.15.42-server.txt",
      lines: ["---- Minecraft Crash Report ----", "// Shall we play a game?", "", "Time: 2026-12-02 10:15:42", "Description: Ticking entity", "", "java.lang.NullPointerException: Cannot invoke \"Object.hashCode()\""],
    };
    expect(recognizeCrash("game_exited", { crashReport: report })).toEqual({ cause: "game_crash", hint: expect.stringContaining(report.name), summary: "Description: Ticking entity" });
    expect(recognizeCrash("observed_stopped", null)).toEqual({ cause: "unknown", hint: null, summary: null });
    expect(recognizeCrash("game_exited", { log: ["[10:00:00] [Server thread/INFO]: Stopping server"] }).cause).toBe("unknown");
  });
});

describe("safeLines", () => {
  it("keeps the last lines, drops a partial first one, neutralises escapes, controls and invalid UTF-8, and cuts long lines", () => {
    const bytes = Buffer.concat([
      Buffer.from("tail of an earlier line\nline one\n\x1b[31mred\x1b[0m \x1b]0;title\x07done\nbad "),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(" bytes\x00\x07\n"),
      Buffer.from(`${"x".repeat(200)}\nlast\u202eevil\n\n`),
    ]);
    const lines = safeLines(bytes, limits, "end", true);
    expect(lines).toEqual(["line one", "red done", "bad \ufffd\ufffd bytes\ufffd\ufffd", `${"x".repeat(79)}…`, "last\ufffdevil"]);
    expect(safeLines(bytes, { maxLines: 2, maxLineChars: 80 }, "end")).toEqual([`${"x".repeat(79)}…`, "last\ufffdevil"]);
    expect(safeLines(bytes, { maxLines: 2, maxLineChars: 80 }, "start")).toEqual(["tail of an earlier line", "line one"]);
  });
});
