#!/usr/bin/env node
// Tree-diff benchmark: two generated rootfs-like trees (~100,000 entries,
// ~5% changed/added/deleted), diffed by core.wasm — marshalling included —
// and, in the same run, by the plain TypeScript reference and by the same
// merge algorithm ported to JavaScript. All three must agree first.
//
//   npm run bench -- diff [--entries N] [--runs N]
import { diffTreesReference } from "../build/js/core/diff-reference.js";
import { loadavg } from "node:os";
import { sortEntries } from "../build/js/core/entries.js";
import * as L from "../build/js/core/layout.js";
import { coreMemory } from "../build/js/core/memory.js";
import { packTables } from "../build/js/core/pack.js";
import { diffTrees, diffTreesRaw } from "../build/js/core/tree-diff.js";
import { diffTreesMerge } from "./lib/diff-merge.mjs";
import { compare, fixed, option, table } from "./lib/measure.mjs";
import { rootfs, upgrade } from "./lib/rootfs.mjs";

const args = process.argv.slice(2);
const count = Number(option(args, "entries", "100000"));
const runs = Number(option(args, "runs", "15"));

const older = sortEntries(rootfs(count));
const newer = sortEntries(upgrade(older));
const total = older.length + newer.length;

// Agreement first: the same changes, in the same order.
const summary = (changes) => changes.map((c) => `${c.kind} ${c.path}`).join("\n");
const wasmChanges = diffTrees(older, newer);
if (summary(wasmChanges) !== summary(diffTreesReference(older, newer))) throw new Error("wasm and reference disagree");
const raw = diffTreesRaw(older, newer);
if (raw.join() !== diffTreesMerge(older, newer).join()) throw new Error("wasm and the JS merge port disagree");
const kinds = { A: 0, C: 0, D: 0 };
for (const c of wasmChanges) kinds[c.kind]++;

// The parts of the wasm path, timed alone.
const core = coreMemory();
const specs = [{ entries: older, kind: "tree" }, { entries: newer, kind: "tree" }];
const scratch = L.SCRATCH_FIXED + L.SCRATCH_PER_ENTRY * total;
const pack = () => packTables(core, specs, scratch + 8 * total);
const kernel = () => {
  const { tables, extra } = pack.last;
  return core.exports.diffTrees(tables[0], older.length, tables[1], newer.length, L.DIFF_PARENTS, extra, extra + scratch);
};

pack.last = pack();
const t = compare({
  wasm: () => diffTrees(older, newer),
  ref: () => diffTreesReference(older, newer),
  raw: () => diffTreesRaw(older, newer),
  merge: () => diffTreesMerge(older, newer),
  pack: () => pack(),
  kernel,
}, { rounds: runs });

console.log(`tree diff: ${older.length} old + ${newer.length} new entries -> ${wasmChanges.length} changes (A ${kinds.A}, C ${kinds.C}, D ${kinds.D})`);
console.log(`${runs} interleaved rounds after 2 warm-ups, GC before each run; Node ${process.version}, load ${loadavg()[0].toFixed(1)}\n`);
const row = (name, x, wasm) => [
  name, fixed(x.median, 2), fixed(x.best, 2), fixed(total / x.median / 1000, 1), wasm ? `${fixed(x.median / wasm.median, 2)}×` : "",
];
table([
  ["", "median ms", "best ms", "M entries/s", "wasm faster by"],
  row("wasm diffTrees (pack + diff + change objects)", t.wasm),
  row("TS reference diffTreesReference", t.ref, t.wasm),
  ["", "", "", "", ""],
  row("wasm diffTreesRaw (pack + diff, index pairs)", t.raw),
  row("same merge algorithm in JS (index pairs)", t.merge, t.raw),
  ["", "", "", "", ""],
  row("  of which: packing both tables", t.pack),
  row("  of which: the wasm diff itself", t.kernel),
]);
console.log(`\nwasm vs TS reference: ${fixed(t.ref.median / t.wasm.median, 2)}× (medians), ${fixed(t.ref.best / t.wasm.best, 2)}× (best runs)`);
console.log(`wasm vs JS merge port: ${fixed(t.merge.median / t.raw.median, 2)}× (medians), ${fixed(t.merge.best / t.raw.best, 2)}× (best runs)`);
