import { defineConfig } from "vite";

/**
 * The operator console's build: served by the control plane at /ui/ (its
 * plugins/consoleUi.ts), so every asset is a hashed file under /ui/assets/
 * and nothing is inlined (the page's Content-Security-Policy allows no
 * inline script). Preact's JSX through esbuild, no plugin needed.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: "/ui/",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  logLevel: "warn",
});
