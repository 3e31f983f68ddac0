// Shape of a table in tree order: where each entry's subtree ends, so that
// a directory's direct children can be visited by jumping over subtrees.
import { comparePaths, isBelow } from "./path";
import { pathLen, pathPtr, record } from "./records";

/** Index of the entry a failed call complains about (see errorIndex()). */
export let lastErrorIndex: i32 = -1;

/** Record which entry a call fails on and return the error code. */
export function failAt(index: i32, code: i32): i32 {
  lastErrorIndex = index;
  return code;
}

@inline export function ends(at: usize, i: i32): i32 { return load<i32>(at + (<usize>i << 2)); }

/**
 * Check that `table` is strictly in tree order and write, for each entry i,
 * the index just past its subtree into `endsAt` (i32 × count). `stack` needs
 * 4 × count bytes. Returns the index of the first entry out of order (a
 * duplicate counts), or -1.
 */
export function subtreeEnds(table: usize, count: i32, endsAt: usize, stack: usize): i32 {
  let top = 0;
  let prevPtr: usize = 0, prevLen: usize = 0;
  for (let i = 0; i < count; i++) {
    const r = record(table, i);
    const p = pathPtr(r), pl = pathLen(r);
    if (i > 0 && comparePaths(prevPtr, prevLen, p, pl) >= 0) return i;
    prevPtr = p; prevLen = pl;
    while (top > 0) {
      const t = load<i32>(stack + (<usize>(top - 1) << 2));
      const tr = record(table, t);
      if (isBelow(pathPtr(tr), pathLen(tr), p, pl)) break;
      store<i32>(endsAt + (<usize>t << 2), i);
      top--;
    }
    store<i32>(stack + (<usize>top << 2), i);
    top++;
  }
  while (top > 0) {
    top--;
    store<i32>(endsAt + (<usize>load<i32>(stack + (<usize>top << 2)) << 2), count);
  }
  return -1;
}

/** First index in [0, count) whose path is not before the key (binary search over a table in tree order). */
export function lowerBound(table: usize, count: i32, key: usize, keyLen: usize): i32 {
  let lo = 0, hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const r = record(table, mid);
    if (comparePaths(pathPtr(r), pathLen(r), key, keyLen) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
