// The tree diff of src/core/tree-diff.ts stated plainly in TypeScript: the
// specification the wasm is tested against, and the baseline of
// bench/diff.mjs. Same inputs, same output, different method: maps and
// ancestor walks, then a sort into layer-tar order.
import { type TreeEntry, comparePaths, whiteoutPath } from "./entries.js";
import { ENTRY_RANK, WHITEOUT_RANK, ancestors, compareTarKeys, tarKey } from "./tar-order.js";
import type { DiffOptions, TreeChange } from "./tree-diff.js";

/** Whether `docker diff` would call b a change of a (see assembly/records.ts entriesDiffer). */
export function entriesDiffer(a: TreeEntry, b: TreeEntry): boolean {
  return (
    a.type !== b.type || a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid ||
    (a.rdevMajor ?? 0) !== (b.rdevMajor ?? 0) || (a.rdevMinor ?? 0) !== (b.rdevMinor ?? 0) ||
    a.mtime !== b.mtime || (a.type !== "dir" && a.size !== b.size) ||
    (a.linkTarget ?? "") !== (b.linkTarget ?? "") ||
    (!!a.digest && !!b.digest && a.digest !== b.digest)
  );
}

export function diffTreesReference<T extends TreeEntry>(
  older: readonly T[], newer: readonly T[], opts: DiffOptions = {},
): TreeChange<T>[] {
  const oldByPath = new Map(older.map((e) => [e.path, e]));
  const newByPath = new Map(newer.map((e) => [e.path, e]));
  // Old contents are compared only below directories that stay directories.
  const oldVisible = (p: string) => {
    for (const q of ancestors(p)) {
      const a = oldByPath.get(q), b = newByPath.get(q);
      if (a && (!b || a.type !== "dir" || b.type !== "dir")) return false;
    }
    return true;
  };
  const changes = new Map<string, TreeChange<T>>();
  for (const a of older) {
    if (!newByPath.has(a.path) && oldVisible(a.path))
      changes.set(a.path, { kind: "D", path: a.path, entry: a, whiteout: whiteoutPath(a.path) });
  }
  for (const b of newer) {
    const a = oldByPath.get(b.path);
    if (!a || !oldVisible(b.path)) changes.set(b.path, { kind: "A", path: b.path, entry: b });
    else if (entriesDiffer(a, b)) changes.set(b.path, { kind: "C", path: b.path, entry: b });
  }
  if (opts.parents !== false) {
    for (const change of [...changes.values()]) {
      for (const q of ancestors(change.path)) {
        const b = newByPath.get(q);
        if (b && !changes.has(q)) changes.set(q, { kind: "C", path: q, entry: b });
      }
    }
  }
  const keyed = [...changes.values()].map((c) => ({ c, key: tarKey(c.path, c.kind === "D" ? WHITEOUT_RANK : ENTRY_RANK) }));
  keyed.sort((x, y) => compareTarKeys(x.key, y.key));
  return keyed.map((k) => k.c);
}

/** Whether a list is strictly in tree order (the diff's precondition). */
export function isTreeOrdered(entries: readonly { path: string }[]): boolean {
  for (let i = 1; i < entries.length; i++) if (comparePaths(entries[i - 1].path, entries[i].path) >= 0) return false;
  return true;
}
