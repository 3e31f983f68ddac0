// Timing and printing for the benchmarks.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

// A collection before each timed run, so that one contender's garbage is not
// collected on another's time.
setFlagsFromString("--expose-gc");
export const gc = runInNewContext("gc");

/**
 * Time several contenders in interleaved rounds (so that a burst of load on a
 * shared machine hits them alike): { name: { median, best } } in ms.
 */
export function compare(contenders, { rounds = 11, warmup = 2 } = {}) {
  const times = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  for (let r = 0; r < warmup + rounds; r++) {
    for (const [name, fn] of Object.entries(contenders)) {
      gc();
      const t0 = performance.now();
      fn();
      const t = performance.now() - t0;
      if (r >= warmup) times[name].push(t);
    }
  }
  return Object.fromEntries(
    Object.entries(times).map(([name, ts]) => {
      ts.sort((a, b) => a - b);
      return [name, { median: ts[Math.floor(ts.length / 2)], best: ts[0] }];
    }),
  );
}

/** Median of `runs` timings (ms) of fn, after `warmup` untimed calls. */
export function median(fn, { runs = 9, warmup = 3 } = {}) {
  for (let i = 0; i < warmup; i++) fn();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Print rows (arrays of cells) as an aligned table; the first row is the header. */
export function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  const line = (r) => r.map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join("  ");
  console.log(line(rows[0]));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows.slice(1)) console.log(line(r));
}

export const fixed = (n, digits = 1) => n.toFixed(digits);

/** Named options: --name value. */
export function option(args, name, dflt) {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
}

/** xorshift32 with a scrambled seed; floats in [0, 1). */
export function seeded(seed) {
  let s = Math.imul((seed ^ 0x9e3779b9) >>> 0, 0x85ebca6b) >>> 0 || 1;
  const next = () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 2 ** 32;
  };
  for (let i = 0; i < 16; i++) next();
  return next;
}

/** A deterministic pseudo-random sequence (mulberry32), so every run builds the same data. */
export function prng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
