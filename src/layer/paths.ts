
// Paths inside a layer.
//
// Tar names are bytes, not necessarily UTF-8 (old images carry Latin-1 file
// names). The layer room keeps them as *byte strings*: JavaScript strings in
// which each char code is one byte (Buffer's "latin1" encoding). That keeps
// names exact, makes string comparison byte order, and costs nothing for the
// ASCII names that are nearly all of them. Only at a filesystem call is a
// non-ASCII name turned into a Buffer (see LayerRoot.fsPath).
//
// Normalised entry paths are relative, '/'-separated, without '.' or empty
// components and without a trailing '/'; the layer's root is "".

const ASCII = /^[\x00-\x7f]*$/;

export function isAscii(s: string): boolean {
  return ASCII.test(s);
}

/** A JavaScript (UTF-16) string as a byte string of its UTF-8 encoding. */
export function toByteString(s: string | Buffer): string {
  if (typeof s !== "string") return s.toString("latin1");
  return isAscii(s) ? s : Buffer.from(s, "utf8").toString("latin1");
}

/**
 * Maps normalised byte-string paths below `root` to filesystem paths: a
 * string when ASCII (nearly always), else a Buffer of the exact bytes.
 */
export class TreePaths {
  private readonly prefix: string;
  private readonly prefixBytes: Buffer;

  constructor(readonly root: string) {
    this.prefix = root.endsWith("/") ? root : `${root}/`;
    this.prefixBytes = Buffer.from(this.prefix, "utf8");
  }

  fs(p: string): string | Buffer {
    if (p === "") return this.root;
    return isAscii(p) ? this.prefix + p : Buffer.concat([this.prefixBytes, Buffer.from(p, "latin1")]);
  }
}

/** A byte string for people: UTF-8 decoded where valid, quoted when it holds control bytes. */
export function displayPath(p: string): string {
  const text = isAscii(p) ? p : Buffer.from(p, "latin1").toString("utf8");
  return /[\x00-\x1f\x7f"\\]/.test(text) || text === "" ? JSON.stringify(text) : text;
}

/** The parent of a normalised path ("" for a top-level name). */
export function parentOf(p: string): string {
  const i = p.lastIndexOf("/");
  return i < 0 ? "" : p.slice(0, i);
}

export function baseName(p: string): string {
  return p.slice(p.lastIndexOf("/") + 1);
}

/** Join a normalised directory and a child name. */
export function joinPath(dir: string, name: string): string {
  return dir === "" ? name : `${dir}/${name}`;
}

/** OCI whiteout prefix (image-spec layer.md, "Whiteouts"). */
export const WHITEOUT_PREFIX = ".wh.";
export const OPAQUE_MARKER = ".wh..wh..opq";

export function isWhiteoutName(p: string): boolean {
  return baseName(p).startsWith(WHITEOUT_PREFIX);
}

/**
 * The canonical order of a layer's entries: byte order, with '/' below every
 * other byte, so that a directory's subtree follows it directly ("a", "a/b",
 * "a-c"). A depth-first walk that sorts each directory's names by bytes
 * yields exactly this order.
 */
export function compareTarPaths(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x === 47) x = -1;
    if (y === 47) y = -1;
    return x - y;
  }
  return a.length - b.length;
}
