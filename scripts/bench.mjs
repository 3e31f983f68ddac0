#!/usr/bin/env node
// `npm run bench -- <name> [args…]`: brings the build up to date, then runs
// bench/<name>.mjs with the remaining arguments. NODE_EXTRA_CA_CERTS is
// removed from the benchmark's environment: it slows every Node start-up
// (DESIGN.md §6b) and a user's shell does not have it.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const [name, ...args] = process.argv.slice(2);
const available = readdirSync(join(root, "bench")).filter((f) => f.endsWith(".mjs")).map((f) => f.slice(0, -4));
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <${available.join("|")}> [args…]`);
  process.exit(2);
}
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;
const build = spawnSync(process.execPath, [join(root, "scripts", "build.mjs"), "--if-needed"], { cwd: root, stdio: "inherit", env });
if (build.status !== 0) {
  console.error("bench: the build failed; fix it before benchmarking");
  process.exit(build.status ?? 1);
}
const script = join(root, "bench", `${name}.mjs`);
if (!existsSync(script)) process.exit(2);
const run = spawnSync(process.execPath, [script, ...args], { cwd: root, stdio: "inherit", env });
process.exit(run.status ?? 1);
