// Tree diff: two tables in tree order (old, new) -> the changes a layer tar
// needs, in the order it needs them (image-spec layer.md, "Change Types"):
// a directory before its contents; within a directory the deletions
// (whiteouts) first — layer.md asks that whiteouts precede sibling
// directory entries — then the other children in tree order.
// - A: only in the new tree; an added directory's contents are all A.
// - C: in both, and entriesDiffer() (type, mode, owner, device, size for
//   non-directories, mtime, link target, digest when both have one). With
//   DIFF_PARENTS, also every directory with a change below it, as
//   `docker diff` reports (and as a layer needs to carry the directory's
//   attributes).
// - D: only in the old tree, reported once at the top of a deleted subtree.
//   An entry whose type changes is one C; a directory replaced by a
//   non-directory takes its contents with it (no D below it), as Docker's
//   archive changes do.
import {
  DIFF_PARENTS, ERR_UNSORTED, ERR_UNSORTED_OTHER, KIND_ADD, KIND_CHANGE, KIND_DELETE, SCRATCH_FIXED,
} from "../src/core/layout";
import { comparePaths } from "./path";
import { entriesDiffer, isDir, pathLen, pathPtr, record } from "./records";
import { ends, failAt, subtreeEnds } from "./tree";

let oldT: usize = 0;
let newT: usize = 0;
let oldEnds: usize = 0;
let newEnds: usize = 0;
let out: usize = 0;
let count: i32 = 0;
let parents = false;

@inline function emit(kind: i32, index: i32): void {
  const at = out + (<usize>count << 3);
  store<i32>(at, kind);
  store<i32>(at, index, 4);
  count++;
}

@inline function order(i: i32, j: i32): i32 {
  const a = record(oldT, i), b = record(newT, j);
  return comparePaths(pathPtr(a), pathLen(a), pathPtr(b), pathLen(b));
}

/** Diff the old children [as, ae) against the new children [bs, be) of one directory. */
function diffChildren(as: i32, ae: i32, bs: i32, be: i32): void {
  // Pass 1: deletions.
  let i = as, j = bs;
  while (i < ae) {
    const c = j < be ? order(i, j) : -1;
    if (c < 0) { emit(KIND_DELETE, i); i = ends(oldEnds, i); }
    else if (c > 0) j = ends(newEnds, j);
    else { i = ends(oldEnds, i); j = ends(newEnds, j); }
  }
  // Pass 2: additions and changes, each followed by its contents.
  i = as; j = bs;
  while (j < be) {
    const c = i < ae ? order(i, j) : 1;
    if (c < 0) { i = ends(oldEnds, i); continue; }
    const below = ends(newEnds, j);
    if (c > 0) {
      for (let k = j; k < below; k++) emit(KIND_ADD, k);
    } else {
      const a = record(oldT, i), b = record(newT, j);
      // Old contents are compared only while both sides are directories.
      const innerEnd = isDir(a) && isDir(b) ? ends(oldEnds, i) : i + 1;
      if (entriesDiffer(a, b)) {
        emit(KIND_CHANGE, j);
        diffChildren(i + 1, innerEnd, j + 1, below);
      } else if (parents) {
        const slot = count;
        emit(KIND_CHANGE, j);
        diffChildren(i + 1, innerEnd, j + 1, below);
        if (count == slot + 1) count = slot; // nothing below changed: not a change after all
      } else {
        diffChildren(i + 1, innerEnd, j + 1, below);
      }
      i = ends(oldEnds, i);
    }
    j = below;
  }
}

/**
 * Diff `oldTable` (nA entries) against `newTable` (nB), both in tree order.
 * Writes (KIND_*, index) i32 pairs to `outAt` (at most nA + nB pairs); the
 * index is into the new table for A and C, the old one for D. Returns the
 * number of changes, or ERR_UNSORTED (old) / ERR_UNSORTED_OTHER (new).
 * `scratch`: SCRATCH_FIXED + SCRATCH_PER_ENTRY × (nA + nB) bytes.
 */
export function diffTrees(
  oldTable: usize, nA: i32, newTable: usize, nB: i32, flags: i32, scratch: usize, outAt: usize,
): i32 {
  oldT = oldTable; newT = newTable; out = outAt; count = 0;
  parents = (flags & DIFF_PARENTS) != 0;
  oldEnds = scratch + SCRATCH_FIXED;
  newEnds = oldEnds + (<usize>nA << 2);
  const stack = newEnds + (<usize>nB << 2);
  let bad = subtreeEnds(oldTable, nA, oldEnds, stack);
  if (bad >= 0) return failAt(bad, ERR_UNSORTED);
  bad = subtreeEnds(newTable, nB, newEnds, stack);
  if (bad >= 0) return failAt(bad, ERR_UNSORTED_OTHER);
  diffChildren(0, nA, 0, nB);
  return count;
}
