import { closeSync, createReadStream, openSync, readSync, fstatSync } from "node:fs";
import { Readable } from "node:stream";
import { posix } from "node:path";
import { InvalidArgumentError } from "../../errors.js";

// Random access into an uncompressed tar file (an image archive): one pass
// reads only the 512-byte headers, seeking over file data, and records where
// each member's bytes are; members are then read in any order without
// extracting the archive. Understands ustar, GNU long names and PAX
// path/linkpath/size records — what docker, podman and skopeo write.

export interface TarMember {
  name: string;
  type: "file" | "dir" | "symlink" | "link" | "other";
  linkname: string;
  offset: number;
  size: number;
}

const MAX_LONG_HEADER = 1 << 20;

function cstring(buf: Buffer, start: number, len: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString("utf8", start, end === -1 || end > start + len ? start + len : end);
}

function numeric(buf: Buffer, start: number, len: number): number {
  if (buf[start]! & 0x80) {
    // GNU base-256 for sizes over 8 GiB.
    let v = 0;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + buf[i]!;
    return v;
  }
  const s = cstring(buf, start, len).trim();
  return s ? parseInt(s, 8) : 0;
}

function checksumOk(h: Buffer): boolean {
  let sum = 8 * 32;
  for (let i = 0; i < 512; i++) if (i < 148 || i >= 156) sum += h[i]!;
  return sum === numeric(h, 148, 8);
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < data.length) {
    const sp = data.indexOf(0x20, pos);
    if (sp < 0) break;
    const len = parseInt(data.toString("utf8", pos, sp), 10);
    if (!(len > 0)) break;
    const rec = data.toString("utf8", sp + 1, pos + len - 1);
    const eq = rec.indexOf("=");
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    pos += len;
  }
  return out;
}

export class TarIndex {
  readonly members = new Map<string, TarMember>();

  private constructor(readonly path: string) {}

  static open(path: string, what = "archive"): TarIndex {
    const idx = new TarIndex(path);
    const fd = openSync(path, "r");
    try {
      const total = fstatSync(fd).size;
      const h = Buffer.alloc(512);
      let pos = 0;
      let longName: string | undefined;
      let longLink: string | undefined;
      let pax: Record<string, string> = {};
      while (pos + 512 <= total) {
        readSync(fd, h, 0, 512, pos);
        if (h.every((b) => b === 0)) break;
        if (!checksumOk(h)) throw new InvalidArgumentError(`${what} is not a valid tar archive (bad header checksum at byte ${pos})`);
        const type = String.fromCharCode(h[156]! || 0x30);
        let size = numeric(h, 124, 12);
        const dataAt = pos + 512;
        if (type === "L" || type === "K" || type === "x" || type === "g") {
          if (size > MAX_LONG_HEADER) throw new InvalidArgumentError(`${what}: tar header over ${MAX_LONG_HEADER} bytes at byte ${pos}`);
          const data = Buffer.alloc(size);
          readSync(fd, data, 0, size, dataAt);
          if (type === "L") longName = cstring(data, 0, size);
          else if (type === "K") longLink = cstring(data, 0, size);
          else if (type === "x") pax = parsePax(data);
        } else {
          const prefix = h.toString("latin1", 257, 263).startsWith("ustar") ? cstring(h, 345, 155) : "";
          let name = pax.path ?? longName ?? (prefix ? `${prefix}/${cstring(h, 0, 100)}` : cstring(h, 0, 100));
          const linkname = pax.linkpath ?? longLink ?? cstring(h, 157, 100);
          if (pax.size) size = Number(pax.size);
          name = posix.normalize(name.replace(/^\.?\/+/, "")).replace(/\/$/, "");
          const kind: TarMember["type"] = type === "0" || type === "7" ? "file" : type === "5" ? "dir" : type === "2" ? "symlink" : type === "1" ? "link" : "other";
          if (dataAt + (kind === "file" ? size : 0) > total) throw new InvalidArgumentError(`${what} is truncated (member ${name})`);
          idx.members.set(name, { name, type: kind, linkname, offset: dataAt, size: kind === "file" ? size : 0 });
          longName = longLink = undefined;
          pax = {};
        }
        pos = dataAt + Math.ceil(size / 512) * 512;
      }
    } finally {
      closeSync(fd);
    }
    return idx;
  }

  /** Follow symlinks and hard links inside the archive (podman links layer.tar files). */
  resolve(name: string, depth = 0): TarMember | undefined {
    const m = this.members.get(posix.normalize(name.replace(/^\.?\/+/, "")));
    if (!m || depth > 16) return undefined;
    if (m.type === "symlink") return this.resolve(posix.join(posix.dirname(m.name), m.linkname), depth + 1);
    if (m.type === "link") return this.resolve(m.linkname, depth + 1);
    return m;
  }

  has(name: string): boolean {
    return this.resolve(name)?.type === "file";
  }

  member(name: string, what: string): TarMember {
    const m = this.resolve(name);
    if (!m || m.type !== "file") throw new InvalidArgumentError(`${what}: ${name} is missing from the archive`, "the archive is incomplete or not an image archive");
    return m;
  }

  read(name: string, what = "archive"): Buffer {
    const m = this.member(name, what);
    if (m.size > 64 << 20) throw new InvalidArgumentError(`${what}: ${name} is too large to be metadata`);
    const fd = openSync(this.path, "r");
    try {
      const buf = Buffer.alloc(m.size);
      readSync(fd, buf, 0, m.size, m.offset);
      return buf;
    } finally {
      closeSync(fd);
    }
  }

  stream(name: string, what = "archive", start = 0): Readable {
    const m = this.member(name, what);
    if (m.size === 0 || start >= m.size) return Readable.from([]);
    return createReadStream(this.path, { start: m.offset + start, end: m.offset + m.size - 1, highWaterMark: 1 << 20 });
  }

  /** The first bytes of a member (to sniff compression). */
  peek(name: string, n: number, what = "archive"): Buffer {
    const m = this.member(name, what);
    const fd = openSync(this.path, "r");
    try {
      const buf = Buffer.alloc(Math.min(n, m.size));
      readSync(fd, buf, 0, buf.length, m.offset);
      return buf;
    } finally {
      closeSync(fd);
    }
  }
}
