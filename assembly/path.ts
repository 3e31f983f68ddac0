// Paths in tree order (see src/core/layout.ts): bytewise over UTF-8 with "/"
// lower than every other byte, which equals a component-by-component
// comparison and keeps each directory's descendants right after it.

const SLASH: u32 = 0x2f;

/** <0, 0, >0 as path a sorts before, with, after path b. */
export function comparePaths(a: usize, al: usize, b: usize, bl: usize): i32 {
  const n = min(al, bl);
  let i: usize = 0;
  // Eight bytes at a time until the first difference; on little-endian wasm
  // the lowest differing byte of the xor is the first differing position.
  while (i + 8 <= n) {
    const x = load<u64>(a + i) ^ load<u64>(b + i);
    if (x != 0) {
      i += <usize>(ctz(x) >> 3);
      return byteOrder(load<u8>(a + i), load<u8>(b + i));
    }
    i += 8;
  }
  for (; i < n; i++) {
    const x = <u32>load<u8>(a + i), y = <u32>load<u8>(b + i);
    if (x != y) return byteOrder(x, y);
  }
  return al < bl ? -1 : al > bl ? 1 : 0;
}

@inline function byteOrder(x: u32, y: u32): i32 {
  // Map "/" to 0 so that it sorts first; no other byte maps there (paths hold no NUL).
  const rx = x == SLASH ? 0 : x, ry = y == SLASH ? 0 : y;
  return rx < ry ? -1 : 1;
}

/** Whether path c lies strictly below directory path p ("p/…"). */
@inline export function isBelow(p: usize, pl: usize, c: usize, cl: usize): bool {
  return cl > pl && load<u8>(c + pl) == SLASH && samePrefix(p, c, pl);
}

function samePrefix(a: usize, b: usize, n: usize): bool {
  let i: usize = 0;
  for (; i + 8 <= n; i += 8) if (load<u64>(a + i) != load<u64>(b + i)) return false;
  for (; i < n; i++) if (load<u8>(a + i) != load<u8>(b + i)) return false;
  return true;
}

/** Offset of the last component of the path (0 for a top-level name). */
export function baseStart(p: usize, len: usize): usize {
  let i = len;
  while (i > 0 && load<u8>(p + i - 1) != SLASH) i--;
  return i;
}

/** ".wh." as a little-endian u32. */
const WH_PREFIX: u32 = 0x2e68772e;

/** Whether the name of `len` bytes at `name` starts with the OCI whiteout prefix ".wh.". */
@inline export function isWhiteoutName(name: usize, len: usize): bool {
  return len >= 4 && load<u32>(name) == WH_PREFIX;
}

/** Whether the name is ".wh..wh." followed by anything: OCI/AUFS metadata rather than a whiteout of a name. */
@inline export function isWhiteoutMetaName(name: usize, len: usize): bool {
  return len >= 8 && load<u32>(name) == WH_PREFIX && load<u32>(name, 4) == WH_PREFIX;
}

/** Whether the name is exactly ".wh..opq": fuse-overlayfs's own char-device entry beside an opaque marker. */
@inline export function isOpaqueBookkeepingName(name: usize, len: usize): bool {
  // ".wh..opq": ".wh." then ".opq" (0x71706f2e as a little-endian u32).
  return len == 8 && load<u32>(name) == WH_PREFIX && load<u32>(name, 4) == 0x71706f2e;
}

/** Whether the name is exactly ".wh..wh..opq", the OCI opaque-directory marker. */
@inline export function isOpaqueMarkerName(name: usize, len: usize): bool {
  // ".wh..wh..opq": ".wh." ".wh." ".opq"; ".opq" as a little-endian u32 is 0x71706f2e.
  return len == 12 && load<u32>(name) == WH_PREFIX && load<u32>(name, 4) == WH_PREFIX && load<u32>(name, 8) == 0x71706f2e;
}
