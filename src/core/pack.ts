// Marshalling entry tables into core.wasm's memory in the layout of
// layout.ts, in one pass over the entries: each record's numbers are written
// as the entry is read, and its strings are appended to one JavaScript
// string (a cheap rope), whose place is known in UTF-16 units. That string
// is then encoded straight into linear memory by ONE encodeInto. When it was
// all ASCII, units are bytes and the records are already right; otherwise
// one wasm pass (utf16ToUtf8) converts the offsets.
//
// Measured on a 100,000-entry tree (bench/diff.mjs): reading the entry
// objects is most of the cost, so each is visited once. A Buffer#write per
// string costs about twice as much as the rope and the single encode.
import { type PathEntry, type TreeEntry, type UpperEntry, typeCode } from "./entries.js";
import * as L from "./layout.js";
import type { CoreMemory } from "./memory.js";

/** What a table's records carry: paths and types only, upper-dir facts, or everything a diff compares. */
export type TableKind = "path" | "upper" | "tree";

export interface TableSpec {
  readonly entries: readonly PathEntry[];
  readonly kind: TableKind;
}

export interface Packed {
  /** Address of each table's first record. */
  readonly tables: number[];
  /** Address of `extraBytes` free bytes (scratch and outputs), 64-aligned. */
  readonly extra: number;
  /** The longest path, in UTF-16 units (a lower bound on its bytes). */
  readonly longestPath: number;
}

const align64 = (n: number) => (n + 63) & ~63;
/** A first guess at string bytes per entry; the arena grows if the strings need more. */
const GUESS_PER_ENTRY = 64;
const encoder = new TextEncoder();

/** Pack the tables, followed by `extraBytes` for the call's scratch and outputs, then the strings. */
export function packTables(core: CoreMemory, specs: readonly TableSpec[], extraBytes: number): Packed {
  const offsets: number[] = [];
  let size = 0;
  let entries = 0;
  for (const s of specs) {
    offsets.push(size);
    size = align64(size + s.entries.length * L.RECORD_SIZE);
    entries += s.entries.length;
  }
  const extraAt = size;
  size = align64(size + extraBytes);
  const base = core.arena(size + entries * GUESS_PER_ENTRY);
  const block = base + size;
  const text = { s: "", units: 0, longest: 0 };
  const tables = specs.map((spec, k) => {
    writeTable(core, base + offsets[k], spec, block, text);
    return base + offsets[k];
  });
  // Encode; if the guess was short, make room for the worst case (3 bytes a unit) and encode again.
  let { read, written } = encoder.encodeInto(text.s, core.u8.subarray(block));
  if (read < text.s.length) {
    core.arena(size + 3 * text.s.length);
    ({ written } = encoder.encodeInto(text.s, core.u8.subarray(block)));
  }
  if (written !== text.s.length)
    specs.forEach((spec, k) => core.exports.utf16ToUtf8(tables[k], spec.entries.length, spec.kind === "tree" ? 3 : 1, block));
  return { tables, extra: base + extraAt, longestPath: text.longest };
}

/** Write one table's records; its strings go onto `text` (pointers are block + UTF-16 offset). */
function writeTable(
  core: CoreMemory, table: number, spec: TableSpec, block: number, text: { s: string; units: number; longest: number },
): void {
  const { entries } = spec;
  const n = entries.length;
  const step = L.RECORD_SIZE >>> 2;
  const u32 = core.u32;
  let w = table >>> 2;
  let s = text.s;
  let at = block + text.units;
  let longest = text.longest;
  if (spec.kind !== "tree") {
    const upper = spec.kind === "upper";
    for (let i = 0; i < n; i++, w += step) {
      const e = entries[i] as UpperEntry;
      const path = e.path;
      s += path;
      u32[w] = at;
      u32[w + 1] = path.length;
      at += path.length;
      if (path.length > longest) longest = path.length;
      if (upper) {
        u32[w + 6] = typeCode(e.type) | (e.opaque ? L.FLAG_OPAQUE << 16 : 0);
        u32[w + 10] = e.rdevMajor ?? 0;
        u32[w + 11] = e.rdevMinor ?? 0;
      } else u32[w + 6] = typeCode(e.type);
    }
  } else {
    const f64 = core.f64;
    let d = table >>> 3;
    const dstep = L.RECORD_SIZE >>> 3;
    for (let i = 0; i < n; i++, w += step, d += dstep) {
      const e = entries[i] as TreeEntry;
      const path = e.path;
      s += path;
      u32[w] = at;
      u32[w + 1] = path.length;
      at += path.length;
      if (path.length > longest) longest = path.length;
      const link = e.linkTarget;
      if (link) {
        s += link;
        u32[w + 2] = at;
        u32[w + 3] = link.length;
        at += link.length;
      } else u32[w + 3] = 0;
      const digest = e.digest;
      if (digest) {
        s += digest;
        u32[w + 4] = at;
        u32[w + 5] = digest.length;
        at += digest.length;
      } else u32[w + 5] = 0;
      u32[w + 6] = typeCode(e.type);
      u32[w + 7] = e.mode;
      u32[w + 8] = e.uid;
      u32[w + 9] = e.gid;
      u32[w + 10] = e.rdevMajor ?? 0;
      u32[w + 11] = e.rdevMinor ?? 0;
      f64[d + 6] = e.size;
      f64[d + 7] = e.mtime;
    }
  }
  text.s = s;
  text.units = at - block;
  text.longest = longest;
}
