// Layer-tar order, stated as a sort key (the wasm produces it by recursion
// instead; the references sort by this key so that the two can be checked
// against each other). Tree order, except that within each directory its
// opaque marker comes first and its whiteouts next, before the other
// children — image-spec layer.md asks that whiteouts precede sibling
// directory entries.
import { comparePaths } from "./entries.js";

/** Rank of a member's last path component among its siblings. */
export const OPAQUE_RANK = 0;
export const WHITEOUT_RANK = 1;
export const ENTRY_RANK = 2;

export interface TarOrderKey {
  /** Path components; for an opaque marker, the directory's components and then "". */
  readonly parts: readonly string[];
  /** Rank of the last component. */
  readonly rank: number;
}

export function tarKey(path: string, rank: number): TarOrderKey {
  const parts = path === "" ? [] : path.split("/");
  if (rank === OPAQUE_RANK) parts.push("");
  return { parts, rank };
}

export function compareTarKeys(x: TarOrderKey, y: TarOrderKey): number {
  const n = Math.min(x.parts.length, y.parts.length);
  for (let k = 0; k < n; k++) {
    const rx = k === x.parts.length - 1 ? x.rank : ENTRY_RANK;
    const ry = k === y.parts.length - 1 ? y.rank : ENTRY_RANK;
    if (rx !== ry) return rx - ry;
    const c = comparePaths(x.parts[k], y.parts[k]);
    if (c !== 0) return c;
  }
  // An ancestor comes before its descendants.
  return x.parts.length - y.parts.length;
}

export function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

export function nameOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Proper ancestors of a path, nearest first ("a/b/c" -> "a/b", "a"). */
export function* ancestors(path: string): Generator<string> {
  for (let p = parentOf(path); p !== ""; p = parentOf(p)) yield p;
}
