#!/usr/bin/env node
// npm run bench -- <name> [args]: runs bench/<name>.mjs after an incremental
// build. Benchmarks print their figures as ratios against a reference
// measured in the same run; they never fail on a timing.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const [name, ...rest] = process.argv.slice(2);
const available = readdirSync(join(root, "bench")).filter((f) => f.endsWith(".mjs")).map((f) => f.slice(0, -4)).sort();
if (!name || !existsSync(join(root, "bench", `${name}.mjs`))) {
  console.error(`usage: npm run bench -- <name>   (one of: ${available.join(", ")})`);
  process.exit(2);
}
const build = spawnSync(process.execPath, [join(root, "scripts", "build.mjs"), "--if-needed"], { stdio: "inherit" });
if (build.status !== 0) process.exit(build.status ?? 1);
// A user's shell does not have it; it doubles Node's start-up here.
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;
const r = spawnSync(process.execPath, [join(root, "bench", `${name}.mjs`), ...rest], { stdio: "inherit", env });
process.exit(r.status ?? 1);
