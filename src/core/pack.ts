// Marshalling entry tables into core.wasm's memory in the layout of
// layout.ts: a pass that writes the numeric fields of every record, then ALL
// of a table's strings as one NUL-separated string, encoded by one
// encodeInto straight into linear memory, and located by one wasm call.
// No string crosses the border on its own.
import { InvalidArgumentError } from "../errors.js";
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
  /** The longest path, in bytes. */
  readonly longestPath: number;
}

const align64 = (n: number) => (n + 63) & ~63;

/** Pack the tables, followed by `extraBytes` for the call's scratch and outputs. */
export function packTables(core: CoreMemory, specs: readonly TableSpec[], extraBytes: number): Packed {
  const texts = specs.map((s) => tableText(s));
  const tables: number[] = [];
  let size = 0;
  for (const s of specs) {
    tables.push(size);
    size = align64(size + s.entries.length * L.RECORD_SIZE);
  }
  const extraAt = size;
  size = align64(size + extraBytes);
  // Most paths are ASCII: reserve one byte per UTF-16 unit and retry with the exact size if not.
  let textBytes = texts.reduce((n, t) => n + t.length, 0);
  let base = core.arena(size + textBytes);
  let encoded = encodeAll(core, base + size, textBytes, texts);
  if (!encoded) {
    textBytes = texts.reduce((n, t) => n + Buffer.byteLength(t, "utf8"), 0);
    base = core.arena(size + textBytes);
    encoded = encodeAll(core, base + size, textBytes, texts)!;
  }
  let longestPath = 0;
  specs.forEach((spec, k) => {
    const table = base + tables[k];
    writeRecords(core, table, spec);
    const fields = spec.kind === "tree" ? 3 : 1;
    const longest = core.exports.locateStrings(encoded[k][0], encoded[k][1], table, spec.entries.length, fields);
    if (longest < 0) throw new InvalidArgumentError("a path or link target contains a NUL byte");
    longestPath = Math.max(longestPath, longest);
    tables[k] = table;
  });
  return { tables, extra: base + extraAt, longestPath };
}

/** Encode each text at `at`; the (address, length) of each, or undefined when `room` was too small. */
function encodeAll(core: CoreMemory, at: number, room: number, texts: string[]): [number, number][] | undefined {
  const encoder = new TextEncoder();
  const u8 = core.u8;
  const out: [number, number][] = [];
  let p = at;
  const end = at + room;
  for (const text of texts) {
    const { read, written } = encoder.encodeInto(text, u8.subarray(p, end));
    if (read !== text.length) return undefined;
    out.push([p, written]);
    p += written;
  }
  return out;
}

/** All of a table's strings as one: per entry its path (and for "tree": link target, digest), each NUL-terminated. */
function tableText(spec: TableSpec): string {
  const { entries } = spec;
  const parts: string[] = [];
  if (spec.kind === "tree") {
    for (const e of entries as readonly TreeEntry[]) parts.push(e.path, e.linkTarget ?? "", e.digest ?? "");
  } else {
    for (const e of entries) parts.push(e.path);
  }
  parts.push("");
  return parts.join("\0");
}

function writeRecords(core: CoreMemory, table: number, spec: TableSpec): void {
  const u32 = core.u32;
  const f64 = core.f64;
  const { entries } = spec;
  const n = entries.length;
  let w = (table >>> 2) + (L.R_TYPE >>> 2);
  const step = L.RECORD_SIZE >>> 2;
  if (spec.kind === "path") {
    for (let i = 0; i < n; i++, w += step) u32[w] = typeCode(entries[i].type);
    return;
  }
  if (spec.kind === "upper") {
    for (let i = 0; i < n; i++, w += step) {
      const e = entries[i] as UpperEntry;
      u32[w] = typeCode(e.type) | (e.opaque ? L.FLAG_OPAQUE << 16 : 0);
      u32[w + 4] = e.rdevMajor ?? 0;
      u32[w + 5] = e.rdevMinor ?? 0;
    }
    return;
  }
  let d = (table >>> 3) + (L.R_SIZE >>> 3);
  const dstep = L.RECORD_SIZE >>> 3;
  for (let i = 0; i < n; i++, w += step, d += dstep) {
    const e = entries[i] as TreeEntry;
    u32[w] = typeCode(e.type);
    u32[w + 1] = e.mode;
    u32[w + 2] = e.uid;
    u32[w + 3] = e.gid;
    u32[w + 4] = e.rdevMajor ?? 0;
    u32[w + 5] = e.rdevMinor ?? 0;
    f64[d] = e.size;
    f64[d + 1] = e.mtime;
  }
}
