#!/usr/bin/env node
// SHA-256 benchmark: core.wasm against @noble/hashes (pure JavaScript) and
// node:crypto (OpenSSL) over the same bytes in the same run, then the wasm
// in digest workers: two streams on two threads against one on one.
//
//   npm run bench -- digest [--mib N] [--rounds N]
import { createHash } from "node:crypto";
import { availableParallelism, loadavg } from "node:os";
import { sha256 as noble } from "@noble/hashes/sha2.js";
import { DigestWorkers } from "../build/js/core/digest-worker.js";
import { Sha256 } from "../build/js/core/sha256.js";
import { fixed, gc, option, seeded, table } from "./lib/measure.mjs";

const args = process.argv.slice(2);
const mib = Number(option(args, "mib", "1024"));
const rounds = Number(option(args, "rounds", "1"));
const MiB = 1 << 20;
const bytes = mib * MiB;

// 64 distinct 1 MiB chunks, cycled: hashing speed does not depend on content,
// and no time goes into making data while the clock runs.
const r = seeded(42);
const chunks = Array.from({ length: Math.min(64, mib) }, () => {
  const words = new Uint32Array(MiB / 4);
  for (let i = 0; i < words.length; i++) words[i] = Math.floor(r() * 2 ** 32);
  return new Uint8Array(words.buffer);
});
const chunk = (k) => chunks[k % chunks.length];

const hashers = {
  wasm: () => {
    const h = new Sha256();
    for (let k = 0; k < mib; k++) h.update(chunk(k));
    return h.hex();
  },
  noble: () => {
    const h = noble.create();
    for (let k = 0; k < mib; k++) h.update(chunk(k));
    return Buffer.from(h.digest()).toString("hex");
  },
  crypto: () => {
    const h = createHash("sha256");
    for (let k = 0; k < mib; k++) h.update(chunk(k));
    return h.digest("hex");
  },
};

const best = {};
const digests = {};
for (let round = 0; round < rounds; round++) {
  for (const [name, run] of Object.entries(hashers)) {
    gc();
    const t0 = performance.now();
    digests[name] = run();
    const s = (performance.now() - t0) / 1000;
    best[name] = Math.min(best[name] ?? Infinity, s);
  }
}
if (new Set(Object.values(digests)).size !== 1) throw new Error(`digests differ: ${JSON.stringify(digests)}`);
const mbs = (s, n = bytes) => n / 1e6 / s;

/** `streams` streams of `mib` MiB each, concurrently, one per thread; seconds. */
async function workers(streams) {
  const pool = new DigestWorkers(streams);
  // Start the threads and let each tier its code up before the clock runs.
  const warm = Array.from({ length: streams }, () => pool.create());
  for (let k = 0; k < 16; k++) await Promise.all(warm.map((h) => h.update(chunk(k))));
  await Promise.all(warm.map((h) => h.digest()));
  const hs = Array.from({ length: streams }, () => pool.create());
  gc();
  const t0 = performance.now();
  for (let k = 0; k < mib; k++) await Promise.all(hs.map((h) => h.update(chunk(k))));
  const out = await Promise.all(hs.map((h) => h.hex()));
  const s = (performance.now() - t0) / 1000;
  await pool.close();
  for (const d of out) if (d !== digests.crypto) throw new Error("worker digest differs");
  return s;
}
const one = await workers(1);
const two = await workers(2);

console.log(`SHA-256 over ${mib} MiB in 1 MiB updates, best of ${rounds}; Node ${process.version}, ${availableParallelism()} CPUs, load ${loadavg()[0].toFixed(1)}\n`);
table([
  ["", "MB/s", "vs noble", "vs wasm"],
  ["core.wasm (main thread)", fixed(mbs(best.wasm)), `${fixed(best.noble / best.wasm, 2)}×`, "1.00×"],
  ["@noble/hashes (pure JS)", fixed(mbs(best.noble)), "1.00×", `${fixed(best.wasm / best.noble, 2)}×`],
  ["node:crypto (OpenSSL)", fixed(mbs(best.crypto)), `${fixed(best.noble / best.crypto, 2)}×`, `${fixed(best.wasm / best.crypto, 2)}×`],
  ["", "", "", ""],
  ["core.wasm, 1 stream in 1 worker", fixed(mbs(one)), "", ""],
  ["core.wasm, 2 streams in 2 workers", fixed(mbs(two, 2 * bytes)), "", `${fixed(mbs(two, 2 * bytes) / mbs(one), 2)}× of 1`],
]);
const checks = [
  ["wasm >= 200 MB/s", mbs(best.wasm) >= 200],
  ["wasm >= 1.4x pure JS", best.noble / best.wasm >= 1.4],
  ["2 workers >= 1.7x 1 worker", mbs(two, 2 * bytes) / mbs(one) >= 1.7],
];
console.log("\n" + checks.map(([what, ok]) => `${ok ? "ok  " : "MISS"} ${what}`).join("\n"));
