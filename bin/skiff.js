#!/usr/bin/env node
// Kept tiny. The CLI is one bundled CommonJS file (scripts/build.mjs),
// compiled here with V8's code cache so that most of it is not parsed and
// compiled again on every command; tsc's many modules are the fallback while
// developing.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire, Module } from "node:module";
import { fileURLToPath } from "node:url";
import { dirname } from "node:path";
import { Script } from "node:vm";

const bundle = fileURLToPath(new URL("../build/skiff.cjs", import.meta.url));
const cacheFile = `${bundle}.cache`;

function loadBundle() {
  const source = readFileSync(bundle, "utf8");
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // no cache yet: compile from source
  }
  const script = new Script(Module.wrap(source), { filename: bundle, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
  return { main: module.exports.main, insideMain: module.exports.insideMain, script };
}

const { main, insideMain, script } = existsSync(bundle) ? loadBundle() : await import("../build/js/cli/main.js");
// SKIFF_INSIDE: the engine's internal entry point (a verb run inside skiff's user namespace), not the CLI.
process.exitCode = process.env.SKIFF_INSIDE === "1" ? await insideMain() : await main(process.argv.slice(2));
// The build writes the cache once, after a command has run (so it holds the
// functions a start-up compiles, not only the top level).
if (script && process.env.SKIFF_WRITE_CODE_CACHE === "1") writeFileSync(cacheFile, script.createCachedData());
