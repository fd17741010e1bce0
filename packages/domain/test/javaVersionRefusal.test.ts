import { describe, expect, it } from "vitest";
import { realJavaRefusal } from "@zlh/testing";
import { recognizeCrash } from "../src/crashCause";
import { safeLines } from "../src/crashText";

/**
 * The java_version cause recognised in what a real JVM says, not in text
 * written here: the machine's JDK 17 refuses a class file of Java 21's
 * version, and its stderr, read as the agent reads the game's, is the evidence.
 */
describe("a real JVM refusing a class built for a newer Java", () => {
  it("is recognised as java_version, with the Java the jar needs and the one it runs on", async () => {
    const { stderr, status } = await realJavaRefusal();
    expect(status).toBe(1);
    const lines = safeLines(new TextEncoder().encode(stderr), { maxLines: 20, maxLineChars: 300 }, "end");
    const diagnosis = recognizeCrash("game_exited", { stderr: lines, exit: { result: "exit-code", code: "exited", status: "1" } });
    expect(diagnosis.cause).toBe("java_version");
    expect(diagnosis.hint).toBe("A jar needs Java 21 but runs on Java 17, the Java of the server's Minecraft version (chosen from the version; no setting changes it): replace the mod that needs it with a build for this Minecraft version, or change the server's minecraftVersion to one that runs on Java 21 or later; if the server's own jar needs it, contact the operator.");
    expect(diagnosis.summary).toMatch(/^java\.lang\.UnsupportedClassVersionError: Refused has been compiled by a more recent version of the Java Runtime \(class file version 65\.0\)/);
  });
});
