// Stable sort of entry indices into tree order (bottom-up merge sort), for
// layer entries that arrive in tar order.
import { comparePaths } from "./path";
import { pathLen, pathPtr, record } from "./records";

@inline function at(buf: usize, i: i32): i32 { return load<i32>(buf + (<usize>i << 2)); }
@inline function put(buf: usize, i: i32, v: i32): void { store<i32>(buf + (<usize>i << 2), v); }

@inline function before(table: usize, x: i32, y: i32): bool {
  const rx = record(table, x), ry = record(table, y);
  return comparePaths(pathPtr(rx), pathLen(rx), pathPtr(ry), pathLen(ry)) < 0;
}

/** Sort the n indices at `idx` by their records' paths; `tmp` holds n more. Equal paths keep their order. */
export function sortByPath(table: usize, idx: usize, tmp: usize, n: i32): void {
  let src = idx, dst = tmp;
  // Runs that are already in order are common (most tools write tars sorted): skip their merging cheaply.
  for (let width = 1; width < n; width <<= 1) {
    for (let lo = 0; lo < n; lo += width << 1) {
      const mid = min(lo + width, n), hi = min(lo + (width << 1), n);
      let i = lo, j = mid, k = lo;
      if (mid < hi && !before(table, at(src, mid), at(src, mid - 1))) {
        memory.copy(dst + (<usize>lo << 2), src + (<usize>lo << 2), <usize>(hi - lo) << 2);
        continue;
      }
      while (i < mid && j < hi) {
        // Take from the right run only when strictly before: keeps the sort stable.
        if (before(table, at(src, j), at(src, i))) put(dst, k++, at(src, j++));
        else put(dst, k++, at(src, i++));
      }
      while (i < mid) put(dst, k++, at(src, i++));
      while (j < hi) put(dst, k++, at(src, j++));
    }
    const t = src; src = dst; dst = t;
  }
  if (src != idx) memory.copy(idx, src, <usize>n << 2);
}
