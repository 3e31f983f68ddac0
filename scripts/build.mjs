#!/usr/bin/env node
// Builds the three parts of skiff: assembly/ -> build/core.wasm (asc),
// src/ -> build/js (tsc), native/ -> build/native (cc via make).
// With --if-needed (the npm `prepare` step) a part is rebuilt only when one of
// its sources is newer than its output, so `npm install` stays quick.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
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
    if (stale(join(root, "build/skiff.cjs"), [["src", [".ts"]]])) {
      run(bin("tsc"), ["-p", "tsconfig.json"]);
      // One bundled file starts faster than tsc's hundred modules (fewer
      // files to resolve and read). CommonJS, because a classic script can be
      // compiled with V8's code cache (below) and an ES module cannot on Node 20.
      run(bin("esbuild"), [
        "build/js/cli/main.js",
        "--bundle",
        "--platform=node",
        "--format=cjs",
        "--target=node20",
        "--outfile=build/skiff.cjs",
        "--log-level=warning",
        "--define:import.meta.url=__skiffUrl",
        // import("node:…") becomes require(): a vm.Script has no module loader.
        "--supported:dynamic-import=false",
        "--banner:js=const __skiffUrl = require('node:url').pathToFileURL(__filename).href;",
      ]);
      rmSync(join(root, "build/skiff.cjs.cache"), { force: true });
    }
    // V8's code cache for the bundle: compiling 800 kB of JavaScript is most
    // of a command's start-up; with the cache `skiff ps` starts ~40% sooner.
    // Made by this Node (a cache from another version is ignored at load).
    if (!existsSync(join(root, "build/skiff.cjs.cache")))
      spawnSync(process.execPath, [join(root, "bin/skiff.js"), "--version"], {
        cwd: root,
        stdio: "ignore",
        env: { ...process.env, SKIFF_WRITE_CODE_CACHE: "1" },
      });
  },
};
for (const [name, build] of Object.entries(parts)) if (only.length === 0 || only.includes(name)) build();
