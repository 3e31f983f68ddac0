#!/usr/bin/env node
// Builds the three parts of skiff: assembly/ -> build/core.wasm (asc),
// src/ -> build/js (tsc), native/ -> build/native (cc via make).
// With --if-needed (the npm `prepare` step) a part is rebuilt only when one of
// its sources is newer than its output, so `npm install` stays quick.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const ifNeeded = process.argv.includes("--if-needed");
const only = process.argv.slice(2).filter((a) => !a.startsWith("--"));

function newest(dir, exts) {
  let t = 0;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (exts.some((x) => e.name.endsWith(x))) t = Math.max(t, statSync(p).mtimeMs);
    }
  };
  if (existsSync(dir)) walk(dir);
  return t;
}

function stale(output, sources) {
  if (!ifNeeded) return true;
  if (!existsSync(output)) return true;
  const out = statSync(output).mtimeMs;
  return sources.some(([dir, exts]) => newest(join(root, dir), exts) > out);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit" });
  if (r.status !== 0) {
    console.error(`build: ${cmd} ${args.join(" ")} failed`);
    process.exit(r.status ?? 1);
  }
}

const bin = (name) => join(root, "node_modules", ".bin", name);
const parts = {
  wasm: () => {
    if (!existsSync(join(root, "assembly/index.ts"))) return;
    if (stale(join(root, "build/core.wasm"), [["assembly", [".ts"]]]))
      run(bin("asc"), ["assembly/index.ts", "--config", "asconfig.json", "--target", "release"]);
  },
  native: () => {
    // make tracks its own dependencies; it is cheap to ask.
    run("make", ["-s", "-C", "native"]);
  },
  ts: () => {
    if (!existsSync(join(root, "src/cli/main.ts"))) return;
    if (stale(join(root, "build/skiff.mjs"), [["src", [".ts"]]])) {
      run(bin("tsc"), ["-p", "tsconfig.json"]);
      // One bundled file starts ~30% faster than tsc's hundred modules
      // (fewer files to resolve and read); CommonJS dependencies inside it
      // need a require, which ESM output lacks.
      run(bin("esbuild"), [
        "build/js/cli/main.js",
        "--bundle",
        "--platform=node",
        "--format=esm",
        "--target=node20",
        "--outfile=build/skiff.mjs",
        "--log-level=warning",
        "--banner:js=import { createRequire as __skiffRequire } from 'node:module'; const require = __skiffRequire(import.meta.url);",
      ]);
    }
  },
};
for (const [name, build] of Object.entries(parts)) if (only.length === 0 || only.includes(name)) build();
