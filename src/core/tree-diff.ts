// Tree diff in core.wasm: two entry lists in tree order -> the changes, in
// the order a layer tar needs them. The rules are in assembly/tree-diff.ts;
// src/core/diff-reference.ts states them again in plain TypeScript.
import { type TreeEntry, whiteoutPath } from "./entries.js";
import * as L from "./layout.js";
import { type CoreMemory, coreMemory } from "./memory.js";
import { packTables } from "./pack.js";
import { unsorted } from "./whiteout.js";

export type ChangeKind = "A" | "C" | "D";

export interface TreeChange<T extends TreeEntry = TreeEntry> {
  readonly kind: ChangeKind;
  readonly path: string;
  /** The new entry for A and C, the old one for D. */
  readonly entry: T;
  /** For D: the OCI whiteout to write ("dir/.wh.name"). */
  readonly whiteout?: string;
}

export interface DiffOptions {
  /**
   * Report every directory with a change below it as changed (C), as
   * `docker diff` does and as a layer needs to carry directory attributes.
   * Default true.
   */
  readonly parents?: boolean;
}

/** The raw result: (kind, index) pairs, index into `newer` for A/C and `older` for D. */
export function diffTreesRaw(
  older: readonly TreeEntry[], newer: readonly TreeEntry[], opts: DiffOptions = {}, core: CoreMemory = coreMemory(),
): Int32Array {
  const nA = older.length;
  const nB = newer.length;
  const scratch = L.SCRATCH_FIXED + L.SCRATCH_PER_ENTRY * (nA + nB);
  const { tables, extra } = packTables(
    core, [{ entries: older, kind: "tree" }, { entries: newer, kind: "tree" }], scratch + 8 * (nA + nB),
  );
  const outAt = extra + scratch;
  const flags = opts.parents === false ? 0 : L.DIFF_PARENTS;
  const count = core.exports.diffTrees(tables[0], nA, tables[1], nB, flags, extra, outAt);
  if (count === L.ERR_UNSORTED) throw unsorted(core, older, "old entries");
  if (count < 0) throw unsorted(core, newer, "new entries");
  return core.i32.slice(outAt >>> 2, (outAt >>> 2) + 2 * count);
}

/** What changed from `older` to `newer` (both in tree order), in layer-tar order. */
export function diffTrees<T extends TreeEntry>(
  older: readonly T[], newer: readonly T[], opts: DiffOptions = {}, core: CoreMemory = coreMemory(),
): TreeChange<T>[] {
  const raw = diffTreesRaw(older, newer, opts, core);
  const changes: TreeChange<T>[] = new Array(raw.length >>> 1);
  for (let k = 0; k < changes.length; k++) {
    const kind = raw[2 * k];
    const i = raw[2 * k + 1];
    if (kind === L.KIND_DELETE) {
      const entry = older[i];
      changes[k] = { kind: "D", path: entry.path, entry, whiteout: whiteoutPath(entry.path) };
    } else {
      const entry = newer[i];
      changes[k] = { kind: kind === L.KIND_ADD ? "A" : "C", path: entry.path, entry };
    }
  }
  return changes;
}
