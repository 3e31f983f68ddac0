// Translate a fuse-overlayfs upper directory into the entries of an OCI
// layer (image-spec layer.md, "Whiteouts").
//
// What fuse-overlayfs leaves in an upper dir (containers/fuse-overlayfs
// 1.10, main.c: create_whiteout, set_fd_opaque, get_whiteout_name):
// - a deleted name is a char device 0:0 at that name; when mknod is refused
//   it is an empty ".wh.<name>" file instead. Any entry whose name starts
//   with ".wh." hides <name>, whatever its type.
// - a directory removed and re-created is opaque: it carries
//   trusted.overlay.opaque or, unprivileged, user.fuseoverlayfs.opaque = "y"
//   (the host sets FLAG_OPAQUE for either, and for user.overlay.opaque), and
//   always also gets a ".wh..wh..opq" file inside — and, seen with 1.10
//   in a user namespace, a char device 0:0 named ".wh..opq" beside it
//   (fuse-overlayfs reads ".wh..wh..opq" as hiding the name ".wh..opq").
//
// Output, in layer-tar order: each directory, then its opaque marker, then
// the whiteouts among its children, then its other children — layer.md asks
// that whiteouts come before sibling directory entries. The ".wh..wh..opq"
// file is folded into its directory's marker; whiteouts inside an opaque
// directory are dropped (the opaque marker already hides everything below);
// anything below a ".wh."-named directory is dropped, and so is ".wh..opq".
import {
  ERR_UNSORTED, FLAG_OPAQUE, OP_ENTRY, OP_MARKER, OP_OPAQUE, OP_WHITEOUT_OF, R_RDEV_MAJOR,
  SCRATCH_FIXED, T_CHAR, UPPER_KEEP, UPPER_OPAQUE, UPPER_SKIP, UPPER_WHITEOUT,
} from "../src/core/layout";
import { baseStart, isOpaqueBookkeepingName, isOpaqueMarkerName, isWhiteoutName } from "./path";
import { entryFlags, entryType, pathLen, pathPtr, record } from "./records";
import { ends, failAt, subtreeEnds } from "./tree";

let table: usize = 0;
let endsAt: usize = 0;
let classes: usize = 0;
let ops: usize = 0;
let opCount: i32 = 0;

@inline function emit(op: i32, index: i32): void {
  const at = ops + (<usize>opCount << 3);
  store<i32>(at, op);
  store<i32>(at, index, 4);
  opCount++;
}

@inline function setClass(i: i32, c: i32): void { store<u8>(classes + <usize>i, <u8>c); }

/** Whether entry i is an opaque marker (`marker`), else whether its name starts with ".wh.". */
@inline function nameOf(i: i32, marker: bool): bool {
  const r = record(table, i);
  const p = pathPtr(r), l = pathLen(r);
  const b = baseStart(p, l);
  return marker ? isOpaqueMarkerName(p + b, l - b) : isWhiteoutName(p + b, l - b);
}

/** Whether entry i is fuse-overlayfs bookkeeping: the opaque marker (folded into its directory) or ".wh..opq". */
@inline function isBookkeeping(i: i32): bool {
  const r = record(table, i);
  const p = pathPtr(r), l = pathLen(r);
  const b = baseStart(p, l);
  return isOpaqueMarkerName(p + b, l - b) || isOpaqueBookkeepingName(p + b, l - b);
}

@inline function isDeviceWhiteout(i: i32): bool {
  const r = record(table, i);
  return entryType(r) == T_CHAR && load<u64>(r, R_RDEV_MAJOR) == 0;
}

/** Whether the children in [start, end) include the ".wh..wh..opq" marker. */
function hasOpaqueMarker(start: i32, end: i32): bool {
  for (let c = start; c < end; c = ends(endsAt, c)) if (nameOf(c, true)) return true;
  return false;
}

/** Emit the children in [start, end) of a directory whose own entry (if any) is already out. */
function emitChildren(start: i32, end: i32, opaque: bool): void {
  // Whiteouts first.
  for (let c = start; c < end; c = ends(endsAt, c)) {
    if (isBookkeeping(c)) continue; // stays UPPER_SKIP
    if (nameOf(c, false)) {
      if (!opaque) { setClass(c, UPPER_WHITEOUT); emit(OP_MARKER, c); }
    } else if (isDeviceWhiteout(c)) {
      if (!opaque) { setClass(c, UPPER_WHITEOUT); emit(OP_WHITEOUT_OF, c); }
    }
  }
  for (let c = start; c < end; c = ends(endsAt, c)) {
    if (nameOf(c, false) || isDeviceWhiteout(c)) continue;
    const below = ends(endsAt, c);
    const dirOpaque = (entryFlags(record(table, c)) & FLAG_OPAQUE) != 0 || hasOpaqueMarker(c + 1, below);
    setClass(c, dirOpaque ? UPPER_OPAQUE : UPPER_KEEP);
    emit(OP_ENTRY, c);
    if (dirOpaque) emit(OP_OPAQUE, c);
    if (below > c + 1) emitChildren(c + 1, below, dirOpaque);
  }
}

/**
 * Classify the `count` upper-dir entries of `entries` (tree order). Writes a
 * UPPER_* class per entry to `classOut` (u8 × count) and the layer's ops to
 * `opsOut` (i32 pairs, at most 2 × count + 1). Returns the number of ops, or
 * ERR_UNSORTED. `scratch`: SCRATCH_FIXED + SCRATCH_PER_ENTRY × count bytes.
 */
export function classifyUpper(entries: usize, count: i32, scratch: usize, classOut: usize, opsOut: usize): i32 {
  table = entries; classes = classOut; ops = opsOut; opCount = 0;
  endsAt = scratch + SCRATCH_FIXED;
  const bad = subtreeEnds(entries, count, endsAt, endsAt + (<usize>count << 2));
  if (bad >= 0) return failAt(bad, ERR_UNSORTED);
  memory.fill(classOut, <u8>UPPER_SKIP, <usize>count);
  // A top-level ".wh..wh..opq" makes the root itself opaque (index -1).
  const rootOpaque = hasOpaqueMarker(0, count);
  if (rootOpaque) emit(OP_OPAQUE, -1);
  emitChildren(0, count, rootOpaque);
  return opCount;
}
