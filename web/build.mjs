// Bundles src/main.ts into one classic script (dist/app.js, an IIFE, so the static catalog export
// also works opened from file://, where module scripts are blocked) and copies the page and styles.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";

rmSync("dist", { recursive: true, force: true });
mkdirSync("dist", { recursive: true });
await build({
  entryPoints: ["src/main.ts"],
  bundle: true,
  format: "iife",
  target: "es2020",
  minify: true,
  sourcemap: false,
  outfile: "dist/app.js",
  logLevel: "warning",
});
copyFileSync("index.html", "dist/index.html");
copyFileSync("src/style.css", "dist/style.css");
console.log("web: built dist/ (index.html, app.js, style.css)");
