import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { headingAnchors, relativeLinks } from "../../scripts/docs/markdownLinks";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const read = (file: string) => readFileSync(join(root, file), "utf8");

function markdownUnder(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? markdownUnder(join(dir, e.name)) : e.name.endsWith(".md") ? [join(dir, e.name)] : [],
  );
}

const docsPages = markdownUnder("docs");
const checked = ["README.md", ...docsPages];

/** Where a link in `from` lands: a repository path (or one outside it) and an anchor, if any. */
function target(from: string, link: string): { file: string; anchor: string | null } {
  const hash = link.indexOf("#");
  const path = hash < 0 ? link : link.slice(0, hash);
  const anchor = hash < 0 ? null : decodeURIComponent(link.slice(hash + 1));
  return { file: path === "" ? from : relative(root, resolve(root, dirname(from), decodeURIComponent(path))), anchor };
}

/** Why a link does not land where it says, or null when it does. */
function brokenBecause(file: string, anchor: string | null): string | null {
  if (file.startsWith(`..${sep}`) || file === "..") return "it leaves the repository";
  if (!existsSync(join(root, file))) return "no such file";
  if (anchor === null) return null;
  if (statSync(join(root, file)).isDirectory() || !file.endsWith(".md")) return "an anchor into something that is not Markdown";
  return headingAnchors(read(file)).has(anchor) ? null : "no such heading";
}

describe("the docs cannot drift: README.md is the front door and every link lands", () => {
  it("links every page under docs/ from README.md", () => {
    const linked = new Set(relativeLinks(read("README.md")).map((l) => target("README.md", l).file));
    expect(docsPages.filter((page) => !linked.has(page))).toEqual([]);
  });

  it("has every relative link of README.md and docs/ land on a file in the repository and on a heading there", () => {
    const broken: string[] = [];
    for (const file of checked) {
      for (const link of relativeLinks(read(file))) {
        const { file: to, anchor } = target(file, link);
        const why = brokenBecause(to, anchor);
        if (why) broken.push(`${file}: (${link}): ${why}`);
      }
    }
    expect(broken).toEqual([]);
    expect(checked.length).toBeGreaterThan(10);
  });

  it("points the systemd units' Documentation= at headings that exist", () => {
    const units = readdirSync(join(root, "deploy/systemd")).filter((f) => f.endsWith(".service"));
    expect(units.sort()).toEqual(["zlh-agent.service", "zlh-control-plane.service"]);
    for (const unit of units) {
      const urls = [...read(`deploy/systemd/${unit}`).matchAll(/^Documentation=(.+)$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/));
      expect(urls.length, unit).toBeGreaterThan(0);
      for (const url of urls) {
        const m = /^https:\/\/github\.com\/zerolaghub\/zerolaghub\/blob\/main\/([^#]+)#(.+)$/.exec(url);
        expect(m, `${unit}: ${url} is not a heading of a file of this repository`).not.toBeNull();
        expect(brokenBecause(m![1]!, m![2]!), `${unit}: ${url}`).toBeNull();
      }
    }
  });
});

describe("the link checker itself", () => {
  it("makes GitHub's anchors, numbering repeated headings, and ignores code", () => {
    const md = "# Hosts: placement, maintenance and networks\n## What `pnpm bench` measures\n## Run it\n## Run it\n```\n## not a heading\n[x](nowhere.md)\n```\n[a](a.md#b) `[c](d.md)` [e](https://example.com) ![i](img.png)";
    expect([...headingAnchors(md)]).toEqual(["hosts-placement-maintenance-and-networks", "what-pnpm-bench-measures", "run-it", "run-it-1"]);
    expect(relativeLinks(md)).toEqual(["a.md#b", "img.png"]);
  });

  it("tells a missing file, a missing heading and a link out of the repository apart", () => {
    expect(brokenBecause("docs/nowhere.md", null)).toBe("no such file");
    expect(brokenBecause("README.md", "no-such-heading")).toBe("no such heading");
    expect(brokenBecause(`..${sep}shared${sep}notes.md`, null)).toBe("it leaves the repository");
    expect(brokenBecause("README.md", null)).toBeNull();
  });
});
