import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";

/** Debian's chromium package (`apt-get install chromium`; .ci/run installs it). ZLH_CHROMIUM names another binary. */
export const CHROMIUM = process.env.ZLH_CHROMIUM ?? "/usr/bin/chromium";
/** Screenshots of the browser tests, kept after the run (git-ignored). */
export const ARTIFACTS = resolve(import.meta.dirname, "../../test-artifacts/ui");

/**
 * A real headless Chromium, driven over the DevTools protocol. Fails with a
 * sentence saying what to install when the binary is missing; `extraArgs` are
 * Chromium flags of the caller's (a pinned certificate). The caller
 * closes it (browser.close() ends the process and its children).
 */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`The browser tests need Chromium at ${CHROMIUM}: install Debian's package (apt-get install -y chromium), or set ZLH_CHROMIUM to a Chromium binary.`);
  }
  // As root Chromium refuses to start without --no-sandbox (its sandbox needs an unprivileged user).
  const args = ["--headless=new", "--disable-gpu", "--disable-dev-shm-usage", ...(process.getuid?.() === 0 ? ["--no-sandbox"] : []), ...extraArgs];
  return chromium.launch({ executablePath: CHROMIUM, args, timeout: 30_000 });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}
