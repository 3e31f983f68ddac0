// Shared by the core tests: a fresh core.wasm, a seeded generator, and
// random trees in tree order.
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { type EntryType, type TreeEntry, sortEntries } from "../../../src/core/entries.js";

export const repoRoot = join(import.meta.dirname, "..", "..", "..");
export const wasmPath = join(repoRoot, "build", "core.wasm");

/** Build core.wasm if it is missing or older than its sources (including the shared layout). */
export function ensureCoreWasm(): void {
  const layout = join(repoRoot, "src", "core", "layout.ts");
  const stale = !existsSync(wasmPath) || statSync(layout).mtimeMs > statSync(wasmPath).mtimeMs;
  execFileSync(process.execPath, [join(repoRoot, "scripts", "build.mjs"), "wasm", ...(stale ? [] : ["--if-needed"])], {
    cwd: repoRoot,
    stdio: "inherit",
  });
}

/** xorshift32: a small deterministic generator; returns floats in [0, 1). */
export function seeded(seed: number): () => number {
  // Scramble the seed: xorshift started from a small number yields tiny numbers for a while.
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

export const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

// Names chosen to stress tree order: "-" and "." sort below "/" bytewise but
// not in tree order; non-ASCII tests UTF-8 order against UTF-16 order.
const SYLLABLES = ["a", "b", "c", "-", ".", " ", "_", "0", "A", "é", "z", "😀", "ｚ", "\u{10000}"];

export function randomName(r: () => number): string {
  for (;;) {
    let name = "";
    const n = 1 + Math.floor(r() * 3);
    for (let i = 0; i < n; i++) name += pick(r, SYLLABLES);
    if (name !== "." && name !== ".." && !name.startsWith(".wh.")) return name;
  }
}

export const joinPath = (dir: string, name: string) => (dir === "" ? name : `${dir}/${name}`);

const LEAF_TYPES: EntryType[] = ["file", "file", "file", "symlink", "hardlink", "fifo", "char"];

export function randomEntry(r: () => number, path: string, type: EntryType): TreeEntry {
  return {
    path,
    type,
    mode: pick(r, [0o755, 0o644, 0o600]),
    uid: pick(r, [0, 0, 1000]),
    gid: pick(r, [0, 0, 1000]),
    size: type === "dir" ? 4096 : Math.floor(r() * 5000),
    mtime: 1700000000000 + Math.floor(r() * 10) * 1000,
    linkTarget: type === "symlink" || type === "hardlink" ? pick(r, ["a", "../b", "/etc/x"]) : undefined,
    digest: type === "file" && r() < 0.5 ? `sha256:${Math.floor(r() * 4)}` : undefined,
    rdevMajor: type === "char" ? pick(r, [1, 4]) : undefined,
    rdevMinor: type === "char" ? pick(r, [3, 5]) : undefined,
  };
}

/** A random tree of about `size` entries, every parent present, in tree order. */
export function randomTree(r: () => number, size: number): TreeEntry[] {
  const dirs = [""];
  const seen = new Set<string>();
  const out: TreeEntry[] = [];
  while (out.length < size) {
    const path = joinPath(pick(r, dirs), randomName(r));
    if (seen.has(path)) continue;
    seen.add(path);
    const type = r() < 0.35 ? "dir" : pick(r, LEAF_TYPES);
    if (type === "dir") dirs.push(path);
    out.push(randomEntry(r, path, type));
  }
  return sortEntries(out);
}

/** A changed copy of a tree: subtrees deleted, attributes and types changed, entries added. */
export function mutateTree(r: () => number, tree: readonly TreeEntry[], rate: number): TreeEntry[] {
  const out: TreeEntry[] = [];
  const gone: string[] = [];
  const under = (p: string, d: string) => p.startsWith(d + "/");
  for (const e of tree) {
    if (gone.some((d) => under(e.path, d))) continue;
    const x = r();
    if (x < rate) { gone.push(e.path); continue; }
    if (x < 2 * rate) {
      out.push({ ...e, mode: e.mode ^ 0o100, mtime: e.mtime + pick(r, [0, 1000]), size: e.size + pick(r, [0, 1]) });
      continue;
    }
    if (x < 2.3 * rate) {
      // Type change: a directory loses its contents, a leaf may become a directory.
      if (e.type === "dir") gone.push(e.path);
      out.push(randomEntry(r, e.path, e.type === "dir" ? "file" : "dir"));
      continue;
    }
    if (x < 2.6 * rate && e.type === "file") { out.push({ ...e, digest: `sha256:${Math.floor(r() * 4)}` }); continue; }
    out.push(e);
  }
  const dirs = ["", ...out.filter((e) => e.type === "dir").map((e) => e.path)];
  const seen = new Set(out.map((e) => e.path));
  const adds = Math.ceil(tree.length * rate);
  for (let k = 0; k < adds; k++) {
    const path = joinPath(pick(r, dirs), randomName(r));
    if (seen.has(path)) continue;
    seen.add(path);
    const type = r() < 0.3 ? "dir" : pick(r, LEAF_TYPES);
    if (type === "dir") dirs.push(path);
    out.push(randomEntry(r, path, type));
  }
  return sortEntries(out);
}
