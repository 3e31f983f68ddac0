import { isUtf8 } from "node:buffer";
import { LayerFormatError } from "./errors.js";

// The tar format as layers use it: POSIX ustar headers, GNU and V7 headers
// for reading, PAX extended headers for what does not fit
// (pubs.opengroup.org/onlinepubs/9699919799/utilities/pax.html, "ustar
// Interchange Format" and "pax Extended Header"). Names, link targets and
// PAX values are byte strings (see paths.ts), so nothing is lost to a
// character decoder — xattr values such as security.capability are binary.

export const BLOCK = 512;

/** Long names and PAX records beyond this are refused (tar-stream's limit too). */
export const MAX_META_SIZE = 4 * 1024 * 1024;

export type EntryType = "file" | "hardlink" | "symlink" | "char" | "block" | "directory" | "fifo";

/** One ustar/GNU/V7 header block, decoded. Typeflag is the raw byte as a character. */
export interface RawHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
  devmajor: number;
  devminor: number;
}

/** Types whose size field announces no data blocks (Go's archive/tar does the same). */
export function headerOnly(typeflag: string): boolean {
  return typeflag === "1" || typeflag === "2" || typeflag === "3" || typeflag === "4" || typeflag === "5" || typeflag === "6";
}

export function entryType(typeflag: string): EntryType | undefined {
  switch (typeflag) {
    case "0":
    case "\0":
    case "7": // contiguous file: a regular file everywhere that matters
      return "file";
    case "1":
      return "hardlink";
    case "2":
      return "symlink";
    case "3":
      return "char";
    case "4":
      return "block";
    case "5":
      return "directory";
    case "6":
      return "fifo";
  }
  return undefined;
}

function cstring(b: Buffer, start: number, len: number): string {
  let end = start;
  const stop = start + len;
  while (end < stop && b[end] !== 0) end++;
  return b.toString("latin1", start, end);
}

/** Octal (with NUL/space padding) or GNU base-256 numeric field; NaN when malformed. */
function numeric(b: Buffer, start: number, len: number): number {
  const first = b[start]!;
  if (first & 0x80) {
    // Base-256: 0x80 marks a positive number, 0xff a negative one in two's complement.
    if (first !== 0x80 && first !== 0xff) return NaN;
    const negative = first === 0xff;
    let v = 0;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + (negative ? 0xff - b[i]! : b[i]!);
    return negative ? -(v + 1) : v;
  }
  let i = start;
  const stop = start + len;
  while (i < stop && (b[i] === 0x20 || b[i] === 0)) i++;
  let v = 0;
  let digits = 0;
  for (; i < stop; i++) {
    const c = b[i]!;
    if (c >= 0x30 && c <= 0x37) {
      v = v * 8 + (c - 0x30);
      digits++;
    } else if (c === 0x20 || c === 0) break;
    else return NaN;
  }
  for (; i < stop; i++) if (b[i] !== 0x20 && b[i] !== 0) return NaN;
  return digits === 0 ? 0 : v;
}

/** The checksum as some old tars computed it, with signed bytes. */
function signedSum(b: Buffer, off: number): number {
  let sum = 0;
  for (let i = off; i < off + BLOCK; i++) {
    const c = i >= off + 148 && i < off + 156 ? 0x20 : b[i]!;
    sum += c > 127 ? c - 256 : c;
  }
  return sum;
}

/**
 * Decode the header block at `off`. Returns null for an all-zero block (the
 * end-of-archive marker). Throws LayerFormatError on a bad checksum or a
 * malformed numeric field.
 */
export function decodeHeader(b: Buffer, off: number, where: () => string): RawHeader | null {
  // The checksum counts its own field as eight spaces.
  let all = 0;
  for (let i = off; i < off + BLOCK; i++) all += b[i]!;
  let field = 0;
  for (let i = off + 148; i < off + 156; i++) field += b[i]!;
  if (all === 0) return null;
  const unsigned = all - field + 8 * 0x20;
  const sum = numeric(b, off + 148, 8);
  if (sum !== unsigned && sum !== signedSum(b, off))
    throw new LayerFormatError(`header checksum mismatch ${where()} (the data is corrupt, or it is not an uncompressed tar)`);

  let name = cstring(b, off, 100);
  // POSIX ustar ("ustar\0" "00") puts a prefix before the name; the GNU format
  // ("ustar  \0") uses those bytes for other fields.
  if (b[off + 257] === 0x75 && b.toString("latin1", off + 257, off + 263) === "ustar\0" && b[off + 345] !== 0)
    name = `${cstring(b, off + 345, 155)}/${name}`;
  const h: RawHeader = {
    name,
    mode: numeric(b, off + 100, 8),
    uid: numeric(b, off + 108, 8),
    gid: numeric(b, off + 116, 8),
    size: numeric(b, off + 124, 12),
    mtime: numeric(b, off + 136, 12),
    typeflag: String.fromCharCode(b[off + 156]!),
    linkname: cstring(b, off + 157, 100),
    devmajor: numeric(b, off + 329, 8),
    devminor: numeric(b, off + 337, 8),
  };
  for (const k of ["mode", "uid", "gid", "size", "mtime"] as const)
    if (Number.isNaN(h[k])) throw new LayerFormatError(`malformed ${k} field in the header of ${JSON.stringify(name)} ${where()}`);
  return h;
}

/**
 * Decode PAX extended header records ("%d %s=%s\n"). Keys and values are
 * byte strings. Throws LayerFormatError when a record is malformed.
 */
export function decodePax(b: Buffer, where: () => string): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < b.length) {
    if (b[i] === 0) break; // some writers pad the records with NULs
    let len = 0;
    let j = i;
    while (j < b.length && b[j]! >= 0x30 && b[j]! <= 0x39 && j - i < 10) len = len * 10 + (b[j++]! - 0x30);
    if (j === i || b[j] !== 0x20 || len <= j - i + 1 || i + len > b.length || b[i + len - 1] !== 0x0a)
      throw new LayerFormatError(`malformed PAX extended header record ${where()}`);
    const rec = b.toString("latin1", j + 1, i + len - 1);
    const eq = rec.indexOf("=");
    if (eq <= 0) throw new LayerFormatError(`malformed PAX extended header record ${where()}`);
    out.set(rec.slice(0, eq), rec.slice(eq + 1));
    i += len;
  }
  return out;
}

/** One PAX record, its length prefix counting itself. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return `${len}${body}`;
}

function writeOctal(b: Buffer, off: number, len: number, v: number): void {
  // len-1 octal digits and a NUL, as GNU tar and Go write them.
  b.write(v.toString(8).padStart(len - 1, "0"), off, len - 1, "latin1");
  b[off + len - 1] = 0;
}

export interface HeaderFields {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
}

const MAX_OCTAL_7 = 0o7777777;
const MAX_OCTAL_11 = 0o77777777777;

/**
 * Encode one entry's header: a PAX extended header first when a field does
 * not fit ustar (long or non-ASCII names, big ids or sizes) or `extra`
 * records are given (xattrs). Deterministic: no atime/ctime, empty
 * uname/gname, records sorted by key.
 */
export function encodeHeader(f: HeaderFields, extra?: Map<string, string>): Buffer {
  const pax = new Map<string, string>(extra);
  const fits = (s: string, n: number) => s.length <= n && /^[\x01-\x7f]*$/.test(s);
  if (!fits(f.name, 100)) pax.set("path", f.name);
  const link = f.linkname ?? "";
  if (!fits(link, 100)) pax.set("linkpath", link);
  if (f.uid > MAX_OCTAL_7) pax.set("uid", String(f.uid));
  if (f.gid > MAX_OCTAL_7) pax.set("gid", String(f.gid));
  if (f.size > MAX_OCTAL_11) pax.set("size", String(f.size));
  if (f.mtime < 0 || f.mtime > MAX_OCTAL_11) pax.set("mtime", String(f.mtime));
  // PAX names are UTF-8 unless hdrcharset says otherwise; ours are raw bytes.
  const binary = (k: string) => pax.has(k) && !isUtf8(Buffer.from(pax.get(k)!, "latin1"));
  if (binary("path") || binary("linkpath")) pax.set("hdrcharset", "BINARY");

  const main = block(f.name, f, link);
  if (pax.size === 0) return main;
  let text = "";
  for (const k of [...pax.keys()].sort()) text += paxRecord(k, pax.get(k)!);
  const data = Buffer.from(text, "latin1");
  const base = f.name.slice(f.name.replace(/\/$/, "").lastIndexOf("/") + 1);
  const xh = block(`PaxHeaders/${base}`, { ...f, mode: 0o644, size: data.length, typeflag: "x" }, "");
  const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
  return Buffer.concat([xh, data, Buffer.alloc(pad), main]);
}

function block(name: string, f: HeaderFields, link: string): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(name.slice(0, 100), 0, 100, "latin1");
  writeOctal(b, 100, 8, f.mode & 0o7777);
  writeOctal(b, 108, 8, Math.min(f.uid, MAX_OCTAL_7));
  writeOctal(b, 116, 8, Math.min(f.gid, MAX_OCTAL_7));
  writeOctal(b, 124, 12, f.size > MAX_OCTAL_11 ? 0 : f.size);
  writeOctal(b, 136, 12, f.mtime < 0 || f.mtime > MAX_OCTAL_11 ? 0 : f.mtime);
  b[156] = f.typeflag.charCodeAt(0);
  b.write(link.slice(0, 100), 157, 100, "latin1");
  b.write("ustar\u000000", 257, 8, "latin1");
  writeOctal(b, 329, 8, f.devmajor ?? 0);
  writeOctal(b, 337, 8, f.devminor ?? 0);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i]!;
  b.write(sum.toString(8).padStart(6, "0"), 148, 6, "latin1");
  b[154] = 0;
  b[155] = 0x20;
  return b;
}
