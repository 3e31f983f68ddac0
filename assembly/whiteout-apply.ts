// Apply one OCI layer's entries to a plain directory tree (the copying vfs
// driver, export, flattening): which existing paths go, which layer entries
// are written. Rules (image-spec layer.md, "Applying Changesets" and
// "Whiteouts"):
// - "d/.wh.x" deletes d/x and everything below it; "d/.wh..wh..opq" deletes
//   everything below d. Whiteouts apply only to lower layers, never to
//   entries of the same layer, wherever they sit in the tar.
// - An entry over an existing path replaces it unless both are directories
//   (then only the attributes change); a replaced directory goes with its
//   contents.
// - Markers are never written. Other ".wh..wh." names (AUFS metadata) and
//   markers naming "", "." or ".." are ignored, as Docker does.
// - When a tar holds one path twice, the last one wins.
import {
  ERR_UNSORTED, EXIST_DELETE_BELOW, EXIST_DELETE_ROOT, EXIST_KEEP, LAYER_IGNORED, LAYER_OPAQUE,
  LAYER_SUPERSEDED, LAYER_WHITEOUT, LAYER_WRITE, SCRATCH_FIXED,
} from "../src/core/layout";
import { baseStart, comparePaths, isBelow, isWhiteoutMetaName, isOpaqueMarkerName, isWhiteoutName } from "./path";
import { isDir, pathLen, pathPtr, record } from "./records";
import { sortByPath } from "./sort";
import { failAt, lowerBound } from "./tree";

const DELETED: u8 = 0xff;

@inline function i32At(buf: usize, i: i32): i32 { return load<i32>(buf + (<usize>i << 2)); }

/** LAYER_* class of a layer entry from its name alone. */
function markerClass(r: usize): i32 {
  const p = pathPtr(r), l = pathLen(r);
  const b = baseStart(p, l);
  const name = p + b, n = l - b;
  if (!isWhiteoutName(name, n)) return LAYER_WRITE;
  if (isOpaqueMarkerName(name, n)) return LAYER_OPAQUE;
  if (isWhiteoutMetaName(name, n)) return LAYER_IGNORED;
  // ".wh.", ".wh.." and ".wh..." would name the directory itself or its parent.
  if (n == 4 || (n <= 6 && load<u8>(name + 4) == 0x2e && (n == 5 || load<u8>(name + 5) == 0x2e))) return LAYER_IGNORED;
  return LAYER_WHITEOUT;
}

/** Mark as deleted the existing entry equal to the key (if `self`) and every existing entry below it. */
function deleteFrom(exist: usize, nE: i32, flags: usize, key: usize, keyLen: usize, self: bool): void {
  let i = lowerBound(exist, nE, key, keyLen);
  if (i < nE) {
    const r = record(exist, i);
    if (comparePaths(pathPtr(r), pathLen(r), key, keyLen) == 0) {
      if (self) store<u8>(flags + <usize>i, DELETED);
      i++;
    }
  }
  for (; i < nE; i++) {
    const r = record(exist, i);
    if (!isBelow(key, keyLen, pathPtr(r), pathLen(r))) break;
    store<u8>(flags + <usize>i, DELETED);
  }
}

/**
 * `exist`: the `nE` entries already present, in tree order (only path and
 * type are read). `layer`: the next layer's `nL` entries in tar order.
 * Writes EXIST_* per existing entry to `existOut` (u8 × nE), LAYER_* per
 * layer entry to `layerOut` (u8 × nL), and the visible tree afterwards, in
 * tree order, to `mergedOut` (i32 × (nE + nL); >= 0 an existing index,
 * < 0 the complement of a layer index). Returns the merged count, or
 * ERR_UNSORTED. `scratch`: SCRATCH_FIXED + SCRATCH_PER_ENTRY × (nE + nL)
 * bytes; no path may exceed SCRATCH_FIXED / 2 bytes.
 */
export function applyLayer(
  exist: usize, nE: i32, layer: usize, nL: i32, scratch: usize,
  existOut: usize, layerOut: usize, mergedOut: usize,
): i32 {
  const key = scratch;
  const order = scratch + SCRATCH_FIXED;
  const tmp = order + (<usize>nL << 2);
  const stack = tmp + (<usize>nL << 2);
  for (let i = 1; i < nE; i++) {
    const a = record(exist, i - 1), b = record(exist, i);
    if (comparePaths(pathPtr(a), pathLen(a), pathPtr(b), pathLen(b)) >= 0) return failAt(i, ERR_UNSORTED);
  }
  memory.fill(existOut, 0, <usize>nE);

  // Markers delete; everything else is sorted for the merge below.
  let writes = 0;
  for (let j = 0; j < nL; j++) {
    const r = record(layer, j);
    const c = markerClass(r);
    store<u8>(layerOut + <usize>j, <u8>c);
    const p = pathPtr(r), l = pathLen(r);
    const b = baseStart(p, l);
    if (c == LAYER_WRITE) {
      store<i32>(order + (<usize>writes << 2), j);
      writes++;
    } else if (c == LAYER_WHITEOUT) {
      // "d/.wh.x" -> "d/x"
      memory.copy(key, p, b);
      memory.copy(key + b, p + b + 4, l - b - 4);
      deleteFrom(exist, nE, existOut, key, l - 4, true);
    } else if (c == LAYER_OPAQUE) {
      if (b == 0) memory.fill(existOut, DELETED, <usize>nE);
      else deleteFrom(exist, nE, existOut, p, b - 1, false);
    }
  }
  sortByPath(layer, order, tmp, writes);

  // Entries over existing paths; of duplicates, the last in tar order survives.
  for (let k = 0; k < writes; k++) {
    const j = i32At(order, k);
    const r = record(layer, j);
    const p = pathPtr(r), l = pathLen(r);
    if (k + 1 < writes) {
      const next = record(layer, i32At(order, k + 1));
      if (comparePaths(p, l, pathPtr(next), pathLen(next)) == 0) {
        store<u8>(layerOut + <usize>j, <u8>LAYER_SUPERSEDED);
        continue;
      }
    }
    const i = lowerBound(exist, nE, p, l);
    if (i < nE) {
      const e = record(exist, i);
      if (comparePaths(pathPtr(e), pathLen(e), p, l) == 0 && !(isDir(e) && isDir(r)))
        deleteFrom(exist, nE, existOut, p, l, true);
    }
  }

  // Deleted sets are closed under descendants: an entry is a root of a
  // deletion when its nearest ancestor in the table survives.
  let top = 0;
  for (let i = 0; i < nE; i++) {
    const r = record(exist, i);
    const p = pathPtr(r), l = pathLen(r);
    while (top > 0) {
      const t = record(exist, i32At(stack, top - 1));
      if (isBelow(pathPtr(t), pathLen(t), p, l)) break;
      top--;
    }
    if (load<u8>(existOut + <usize>i) == DELETED) {
      const parentGone = top > 0 && load<u8>(existOut + <usize>i32At(stack, top - 1)) != EXIST_KEEP;
      store<u8>(existOut + <usize>i, <u8>(parentGone ? EXIST_DELETE_BELOW : EXIST_DELETE_ROOT));
    }
    store<i32>(stack + (<usize>top << 2), i);
    top++;
  }

  // The visible tree: survivors and written entries, the layer's winning on equal paths.
  let i = 0, k = 0, m = 0;
  while (i < nE || k < writes) {
    if (k < writes && load<u8>(layerOut + <usize>i32At(order, k)) == LAYER_SUPERSEDED) { k++; continue; }
    if (i < nE && load<u8>(existOut + <usize>i) != EXIST_KEEP) { i++; continue; }
    let c: i32;
    if (i >= nE) c = 1;
    else if (k >= writes) c = -1;
    else {
      const e = record(exist, i), w = record(layer, i32At(order, k));
      c = comparePaths(pathPtr(e), pathLen(e), pathPtr(w), pathLen(w));
    }
    if (c < 0) { store<i32>(mergedOut + (<usize>m << 2), i); i++; }
    else {
      store<i32>(mergedOut + (<usize>m << 2), ~i32At(order, k));
      k++;
      if (c == 0) i++;
    }
    m++;
  }
  return m;
}
