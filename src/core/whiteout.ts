// Whiteouts, both ways, in core.wasm:
// - classifyUpper: a fuse-overlayfs upper dir -> the members of an OCI layer
//   (commit, build steps, diff). The rules are in assembly/whiteout-upper.ts.
// - applyLayer / flattenLayers: OCI layers applied to a plain tree (the vfs
//   driver, export). The rules are in assembly/whiteout-apply.ts.
import { InvalidArgumentError } from "../errors.js";
import { type PathEntry, type UpperEntry, opaqueMarkerPath, whiteoutPath } from "./entries.js";
import * as L from "./layout.js";
import { type CoreMemory, coreMemory } from "./memory.js";
import { packTables } from "./pack.js";

export type UpperClass = "keep" | "whiteout" | "opaque" | "skip";
const UPPER_CLASSES: readonly UpperClass[] = ["keep", "whiteout", "opaque", "skip"];

/** One member of the layer tar, in order. `entry` null: an empty whiteout or opaque marker file. */
export interface LayerMember<T> {
  readonly path: string;
  readonly entry: T | null;
}

export interface UpperLayer<T> {
  /** Per input entry: kept as is, a whiteout, an opaque directory (kept, plus its marker), or skipped. */
  readonly classes: UpperClass[];
  /** What the layer tar holds, in order: directories before their contents, whiteouts before their siblings. */
  readonly members: LayerMember<T>[];
}

/** Translate the entries of an upper dir, in tree order, into an OCI layer's members. */
export function classifyUpper<T extends UpperEntry>(entries: readonly T[], core: CoreMemory = coreMemory()): UpperLayer<T> {
  const n = entries.length;
  const scratch = L.SCRATCH_FIXED + L.SCRATCH_PER_ENTRY * n;
  const opsBytes = 8 * (2 * n + 1);
  const { tables, extra } = packTables(core, [{ entries, kind: "upper" }], scratch + n + opsBytes + 64);
  const classAt = extra + scratch;
  const opsAt = (classAt + n + 63) & ~63;
  const count = core.exports.classifyUpper(tables[0], n, extra, classAt, opsAt);
  if (count < 0) throw unsorted(core, entries, "upper-dir entries");
  const u8 = core.u8;
  const classes = new Array<UpperClass>(n);
  for (let i = 0; i < n; i++) classes[i] = UPPER_CLASSES[u8[classAt + i]];
  const ops = core.i32.subarray(opsAt >>> 2, (opsAt >>> 2) + 2 * count);
  const members: LayerMember<T>[] = new Array(count);
  for (let k = 0; k < count; k++) {
    const op = ops[2 * k];
    const i = ops[2 * k + 1];
    if (op === L.OP_ENTRY) members[k] = { path: entries[i].path, entry: entries[i] };
    else if (op === L.OP_WHITEOUT_OF) members[k] = { path: whiteoutPath(entries[i].path), entry: null };
    else if (op === L.OP_MARKER) members[k] = { path: entries[i].path, entry: null };
    else members[k] = { path: opaqueMarkerPath(i < 0 ? "" : entries[i].path), entry: null };
  }
  return { classes, members };
}

export type ExistingFate = "keep" | "delete" | "below";
const FATES: readonly ExistingFate[] = ["keep", "delete", "below"];
export type LayerRole = "write" | "whiteout" | "opaque" | "ignored" | "superseded";
const ROLES: readonly LayerRole[] = ["write", "whiteout", "opaque", "ignored", "superseded"];

export interface LayerApplication {
  /** Per existing entry: kept; deleted at the top of a deleted subtree (remove it recursively); deleted with an ancestor. */
  readonly existing: ExistingFate[];
  /** Existing entries to remove recursively, in tree order (those marked "delete"). Do this before writing. */
  readonly deleteRoots: number[];
  /** Per layer entry: written, a whiteout, an opaque marker, a marker with no effect, or overridden by a later entry with the same path. */
  readonly layer: LayerRole[];
  /** Layer entries to write, in tar order. */
  readonly write: number[];
  /** The visible tree afterwards, in tree order: >= 0 an existing index, < 0 the complement (~) of a layer index. */
  readonly visible: Int32Array;
}

/**
 * Apply one layer (entries in tar order) over the existing entries (in tree
 * order), as an OCI applier must: which existing paths to delete, which
 * layer entries to write, and what is visible afterwards.
 */
export function applyLayer(
  existing: readonly PathEntry[], layer: readonly PathEntry[], core: CoreMemory = coreMemory(),
): LayerApplication {
  const nE = existing.length;
  const nL = layer.length;
  const scratch = L.SCRATCH_FIXED + L.SCRATCH_PER_ENTRY * (nE + nL);
  const mergedBytes = 4 * (nE + nL);
  const { tables, extra, longestPath } = packTables(
    core, [{ entries: existing, kind: "path" }, { entries: layer, kind: "path" }], scratch + mergedBytes + nE + nL + 64,
  );
  // The wasm builds whiteout targets in a key buffer of SCRATCH_FIXED / 2 bytes; a UTF-16 unit is at most 3 bytes.
  const limit = Math.floor(L.SCRATCH_FIXED / 6);
  if (longestPath > limit) throw new InvalidArgumentError(`a layer path is longer than ${limit} characters`);
  const mergedAt = extra + scratch;
  const existAt = mergedAt + mergedBytes;
  const layerAt = existAt + nE;
  const count = core.exports.applyLayer(tables[0], nE, tables[1], nL, extra, existAt, layerAt, mergedAt);
  if (count < 0) throw unsorted(core, existing, "existing entries");
  const u8 = core.u8;
  const fates = new Array<ExistingFate>(nE);
  const deleteRoots: number[] = [];
  for (let i = 0; i < nE; i++) {
    const f = u8[existAt + i];
    fates[i] = FATES[f];
    if (f === L.EXIST_DELETE_ROOT) deleteRoots.push(i);
  }
  const roles = new Array<LayerRole>(nL);
  const write: number[] = [];
  for (let j = 0; j < nL; j++) {
    const r = u8[layerAt + j];
    roles[j] = ROLES[r];
    if (r === L.LAYER_WRITE) write.push(j);
  }
  const visible = core.i32.slice(mergedAt >>> 2, (mergedAt >>> 2) + count);
  return { existing: fates, deleteRoots, layer: roles, write, visible };
}

/** A visible entry after flattening, and where it came from. */
export interface FlatEntry<T> {
  readonly layer: number;
  readonly index: number;
  readonly entry: T;
}

/** Apply layers (each in tar order) one over the other from an empty tree: the final visible entries, in tree order. */
export function flattenLayers<T extends PathEntry>(layers: readonly (readonly T[])[], core: CoreMemory = coreMemory()): FlatEntry<T>[] {
  let visible: FlatEntry<T>[] = [];
  layers.forEach((layer, k) => {
    const applied = applyLayer(visible.map((v) => v.entry), layer, core);
    const next: FlatEntry<T>[] = new Array(applied.visible.length);
    applied.visible.forEach((ref, m) => {
      next[m] = ref >= 0 ? visible[ref] : { layer: k, index: ~ref, entry: layer[~ref] };
    });
    visible = next;
  });
  return visible;
}

export function unsorted(core: CoreMemory, entries: readonly PathEntry[], what: string): InvalidArgumentError {
  const i = core.exports.errorIndex();
  const path = entries[i]?.path;
  return new InvalidArgumentError(
    `${what} are not in tree order (or repeat a path) at ${JSON.stringify(path)}`,
    "sort them with sortEntries() from src/core",
  );
}
