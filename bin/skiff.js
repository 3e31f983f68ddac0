#!/usr/bin/env node
// Kept tiny. The bundle (one file, see scripts/build.mjs) starts faster than
// tsc's many modules; those are the fallback while developing.
import { existsSync } from "node:fs";

const bundle = new URL("../build/skiff.mjs", import.meta.url);
const { main } = await import(existsSync(bundle) ? bundle.href : "../build/js/cli/main.js");
process.exitCode = await main(process.argv.slice(2));
