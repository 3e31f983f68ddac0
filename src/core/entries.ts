// Tree entries as the rest of skiff hands them to the core, and TREE ORDER,
// the one sort order the core's batch calls expect (see layout.ts):
// bytewise over UTF-8 with "/" lower than any other byte, i.e. component by
// component, so that every directory is followed by all of its descendants:
//   "a", "a/b", "a/b/c", "a-c", "ab"
import * as L from "./layout.js";

export type EntryType = "file" | "dir" | "symlink" | "hardlink" | "char" | "block" | "fifo" | "socket";

/** The least an entry needs for whiteout application and flattening. */
export interface PathEntry {
  /** Relative, "/"-separated, no leading "/" or "./", no trailing "/". */
  readonly path: string;
  readonly type: EntryType;
}

/** An entry of a fuse-overlayfs upper directory. */
export interface UpperEntry extends PathEntry {
  readonly rdevMajor?: number;
  readonly rdevMinor?: number;
  /** A directory whose trusted.overlay.opaque, user.overlay.opaque or user.fuseoverlayfs.opaque xattr is "y". */
  readonly opaque?: boolean;
}

/** An entry as the tree diff compares it. */
export interface TreeEntry extends PathEntry {
  /** Permission bits (07777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Bytes; ignored for directories. */
  readonly size: number;
  /** Any unit, compared for equality (lstat's mtimeMs, a tar header's seconds). */
  readonly mtime: number;
  /** Symlink or hardlink target. */
  readonly linkTarget?: string;
  /** Content digest; compared only when both sides have one. */
  readonly digest?: string;
  readonly rdevMajor?: number;
  readonly rdevMinor?: number;
}

export function typeCode(type: EntryType): number {
  switch (type) {
    case "file": return L.T_FILE;
    case "dir": return L.T_DIR;
    case "symlink": return L.T_SYMLINK;
    case "hardlink": return L.T_HARDLINK;
    case "char": return L.T_CHAR;
    case "block": return L.T_BLOCK;
    case "fifo": return L.T_FIFO;
    case "socket": return L.T_SOCKET;
  }
  throw new TypeError(`unknown entry type ${String(type)}`);
}

/**
 * Compare two paths in tree order (<0, 0, >0). Works on UTF-16 code units
 * but orders as UTF-8 bytes would: units differ from code points in order
 * only between surrogates (D800–DFFF, i.e. code points above FFFF) and
 * E000–FFFF, which the adjustment below puts right.
 */
export function comparePaths(a: string, b: string): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x === 0x2f) return -1;
    if (y === 0x2f) return 1;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/** Sort entries into tree order, in place. */
export function sortEntries<T extends { readonly path: string }>(entries: T[]): T[] {
  return entries.sort((x, y) => comparePaths(x.path, y.path));
}

/** "dir/name" -> "dir/.wh.name": the OCI whiteout that deletes a path (image-spec layer.md, Whiteouts). */
export function whiteoutPath(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? `.wh.${path}` : `${path.slice(0, slash + 1)}.wh.${path.slice(slash + 1)}`;
}

/** The OCI opaque marker of a directory ("" for the root). */
export function opaqueMarkerPath(dir: string): string {
  return dir === "" ? ".wh..wh..opq" : `${dir}/.wh..wh..opq`;
}
