// Field access for the entry records described in src/core/layout.ts.
import {
  RECORD_SIZE, R_DIGEST_LEN, R_DIGEST_PTR, R_FLAGS, R_GID, R_LINK_LEN, R_LINK_PTR, R_MODE, R_MTIME,
  R_PATH_LEN, R_PATH_PTR, R_RDEV_MAJOR, R_RDEV_MINOR, R_SIZE, R_TYPE, R_UID, T_DIR,
} from "../src/core/layout";

@inline export function record(table: usize, i: i32): usize { return table + <usize>i * RECORD_SIZE; }
@inline export function pathPtr(r: usize): usize { return <usize>load<u32>(r, R_PATH_PTR); }
@inline export function pathLen(r: usize): usize { return <usize>load<u32>(r, R_PATH_LEN); }
@inline export function linkPtr(r: usize): usize { return <usize>load<u32>(r, R_LINK_PTR); }
@inline export function linkLen(r: usize): usize { return <usize>load<u32>(r, R_LINK_LEN); }
@inline export function digestPtr(r: usize): usize { return <usize>load<u32>(r, R_DIGEST_PTR); }
@inline export function digestLen(r: usize): usize { return <usize>load<u32>(r, R_DIGEST_LEN); }
@inline export function entryType(r: usize): u32 { return <u32>load<u16>(r, R_TYPE); }
@inline export function entryFlags(r: usize): u32 { return <u32>load<u16>(r, R_FLAGS); }
@inline export function isDir(r: usize): bool { return load<u16>(r, R_TYPE) == T_DIR; }

/** Whether two entries differ in anything `docker diff` reports as a change (type, mode, owner, device, size, mtime, link, digest). */
export function entriesDiffer(a: usize, b: usize): bool {
  if (load<u16>(a, R_TYPE) != load<u16>(b, R_TYPE)) return true;
  if (load<u64>(a, R_MODE) != load<u64>(b, R_MODE)) return true; // mode and uid
  if (load<u64>(a, R_GID) != load<u64>(b, R_GID)) return true; // gid and rdev major
  if (load<u32>(a, R_RDEV_MINOR) != load<u32>(b, R_RDEV_MINOR)) return true;
  if (load<f64>(a, R_MTIME) != load<f64>(b, R_MTIME)) return true;
  // A directory's st_size is filesystem bookkeeping (it depends on the
  // directory's history, not its contents); Docker ignores it too.
  if (!isDir(a) && load<f64>(a, R_SIZE) != load<f64>(b, R_SIZE)) return true;
  if (!sameBytes(linkPtr(a), linkLen(a), linkPtr(b), linkLen(b))) return true;
  // A digest is compared only when both sides have one.
  const da = digestLen(a), db = digestLen(b);
  if (da != 0 && db != 0 && !sameBytes(digestPtr(a), da, digestPtr(b), db)) return true;
  return false;
}

function sameBytes(a: usize, al: usize, b: usize, bl: usize): bool {
  if (al != bl) return false;
  let i: usize = 0;
  for (; i + 8 <= al; i += 8) if (load<u64>(a + i) != load<u64>(b + i)) return false;
  for (; i < al; i++) if (load<u8>(a + i) != load<u8>(b + i)) return false;
  return true;
}
