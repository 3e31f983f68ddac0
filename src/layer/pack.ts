import { closeSync, constants, lstatSync, openSync, readSync, readlinkSync, type Stats } from "node:fs";
import { Readable } from "node:stream";
import { asSkiffError, SkiffError } from "../errors.js";
import { FsAttrError, fsAttr, type FsAttr } from "./fsattr.js";
import { OPAQUE_MARKER, TreePaths, WHITEOUT_PREFIX, baseName, displayPath, joinPath, parentOf, toByteString } from "./paths.js";
import { BLOCK, encodeHeader, type HeaderFields } from "./tar-format.js";
import { walkTree } from "./tree-walk.js";

// Writing layer tars: from a list of changes (commit, build: the classified
// upper dir of a container) or from a whole tree (import, a flattened save).
// The output is deterministic — same tree, same bytes: names in the order
// given, no atime/ctime, empty uname/gname, xattrs and PAX records sorted.
// It streams: a pull-based Readable, files read a chunk at a time, so memory
// stays flat whatever the layer size.

export type LayerChange =
  /** Added or modified: the entry at root/path as it is now. */
  | { kind: "add"; path: string | Buffer }
  /** Deleted: an OCI whiteout `.wh.<name>` in its parent. */
  | { kind: "whiteout"; path: string | Buffer }
  /** A directory whose lower content is hidden: `<path>/.wh..wh..opq`. */
  | { kind: "opaque"; path: string | Buffer };

export interface PackOptions {
  /** Which xattrs to record (default: defaultXattrFilter). */
  xattrs?: (name: string) => boolean;
  /** mtime (seconds) of whiteout entries; default 0, for reproducible layers. */
  whiteoutMtime?: number;
  onDebug?: (msg: string) => void;
  fsAttr?: FsAttr;
}

/**
 * The xattrs a layer carries, as Podman does: user.* and file capabilities.
 * Left out: the overlay drivers' own bookkeeping (user.fuseoverlayfs.*,
 * user.overlay.*, user.containers.*), and host-bound ones (security.selinux,
 * trusted.*, ACLs in system.*).
 */
export function defaultXattrFilter(name: string): boolean {
  if (name === "security.capability") return true;
  return name.startsWith("user.") && !/^user\.(fuseoverlayfs|overlay|containers)\./.test(name);
}

const CHUNK = 1 << 20;
const BATCH = 256; // entries whose lstat and xattrs are gathered before writing
const XATTR_ABSENT = new Set(["ENOTSUP", "EOPNOTSUPP"]);

interface Prepared {
  header: HeaderFields;
  pax?: Map<string, string>;
  path: string;
}

/** Packs the changes, in the order given (sort them with compareTarPaths for the canonical order). */
export function packLayer(root: string, changes: Iterable<LayerChange> | AsyncIterable<LayerChange>, opts: PackOptions = {}): Readable {
  return Readable.from(new Packer(root, opts).tar(changes), { objectMode: false, highWaterMark: CHUNK });
}

/** Packs every entry below `root` (not root itself, as Docker's export) in canonical order. */
export function packDirectory(root: string, opts: PackOptions = {}): Readable {
  function* changes(): Generator<LayerChange> {
    for (const path of walkTree(root)) yield { kind: "add", path: Buffer.from(path, "latin1") };
  }
  return packLayer(root, changes(), opts);
}

class Packer {
  private readonly paths: TreePaths;
  private readonly links = new Map<string, string>(); // "dev:ino" → first name
  private out = Buffer.allocUnsafe(CHUNK);
  private len = 0;

  constructor(
    root: string,
    private readonly opts: PackOptions,
  ) {
    this.paths = new TreePaths(root);
  }

  async *tar(changes: Iterable<LayerChange> | AsyncIterable<LayerChange>): AsyncGenerator<Buffer> {
    try {
      let batch: LayerChange[] = [];
      for await (const c of changes) {
        batch.push(c);
        if (batch.length === BATCH) {
          yield* this.writeBatch(batch);
          batch = [];
        }
      }
      yield* this.writeBatch(batch);
      yield* this.put(Buffer.alloc(2 * BLOCK)); // end-of-archive
      if (this.len > 0) yield this.take();
    } catch (e) {
      throw asSkiffError(e);
    }
  }

  private async *writeBatch(batch: LayerChange[]): AsyncGenerator<Buffer> {
    const prepared = await Promise.all(batch.map((c) => this.prepare(c)));
    for (const p of prepared) {
      if (!p) continue;
      yield* this.put(encodeHeader(p.header, p.pax));
      if (p.header.typeflag === "0" && p.header.size > 0) yield* this.copyFile(p.path, p.header.size);
    }
  }

  /** lstat and xattrs of one change; undefined for what a layer cannot hold (sockets). */
  private async prepare(c: LayerChange): Promise<Prepared | undefined> {
    const path = toByteString(c.path).replace(/^\/+|\/+$/g, "");
    if (path === "") return undefined; // the root's own metadata is not recorded, as in Docker's layers
    if (c.kind !== "add") {
      const name = c.kind === "whiteout" ? joinPath(parentOf(path), WHITEOUT_PREFIX + baseName(path)) : joinPath(path, OPAQUE_MARKER);
      // Like Docker's: an empty file, mode 0, owned by root.
      const header = { name, mode: 0, uid: 0, gid: 0, size: 0, mtime: this.opts.whiteoutMtime ?? 0, typeflag: "0" };
      return { header, path: name };
    }
    const f = this.paths.fs(path);
    const st = lstatSync(f);
    const header: HeaderFields = {
      name: path,
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      size: 0,
      mtime: Math.floor(st.mtimeMs / 1000), // whole seconds, as tar keeps them
      typeflag: "0",
    };
    if (st.isFile()) {
      const key = st.nlink > 1 ? `${st.dev}:${st.ino}` : undefined;
      const first = key && this.links.get(key);
      if (first) {
        header.typeflag = "1";
        header.linkname = first;
      } else {
        if (key) this.links.set(key, path);
        header.size = st.size;
      }
    } else if (st.isDirectory()) {
      header.typeflag = "5";
      header.name = `${path}/`;
    } else if (st.isSymbolicLink()) {
      header.typeflag = "2";
      header.linkname = (readlinkSync(f, { encoding: "buffer" }) as Buffer).toString("latin1");
    } else if (st.isFIFO()) header.typeflag = "6";
    else if (st.isCharacterDevice() || st.isBlockDevice()) {
      header.typeflag = st.isCharacterDevice() ? "3" : "4";
      header.devmajor = major(st);
      header.devminor = minor(st);
    } else {
      this.opts.onDebug?.(`leaving socket ${displayPath(path)} out of the layer: tar cannot hold sockets`);
      return undefined;
    }
    const pax = header.typeflag === "1" ? undefined : await this.xattrs(f, path);
    return { header, pax, path };
  }

  /** The recorded xattrs as PAX SCHILY.xattr records (the GNU tar and Go form). */
  private async xattrs(f: string | Buffer, path: string): Promise<Map<string, string> | undefined> {
    let all: Map<string, Buffer>;
    try {
      all = await (this.opts.fsAttr ?? fsAttr()).listXattrs(f);
    } catch (e) {
      if (e instanceof FsAttrError && XATTR_ABSENT.has(e.errno)) return undefined;
      throw new SkiffError(`cannot read the xattrs of ${displayPath(path)}: ${(e as Error).message}`, { cause: e });
    }
    const keep = this.opts.xattrs ?? defaultXattrFilter;
    let pax: Map<string, string> | undefined;
    for (const name of [...all.keys()].sort()) {
      if (keep(name)) (pax ??= new Map()).set(`SCHILY.xattr.${name}`, all.get(name)!.toString("latin1"));
    }
    return pax;
  }

  private async *copyFile(path: string, size: number): AsyncGenerator<Buffer> {
    const fd = openSync(this.paths.fs(path), constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      let left = size;
      while (left > 0) {
        if (this.len === CHUNK) yield this.take();
        const n = readSync(fd, this.out, this.len, Math.min(CHUNK - this.len, left), null);
        if (n === 0)
          throw new SkiffError(`${displayPath(path)} shrank while it was being packed (expected ${size} bytes)`, {
            hint: "stop the container (or whatever writes to the file) before committing",
          });
        this.len += n;
        left -= n;
      }
    } finally {
      closeSync(fd);
    }
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad) yield* this.put(Buffer.alloc(pad));
  }

  /** Append to the output, handing out full chunks. */
  private *put(b: Buffer): Generator<Buffer> {
    if (this.len + b.length > CHUNK && this.len > 0) yield this.take();
    if (b.length >= CHUNK) {
      yield b;
      return;
    }
    b.copy(this.out, this.len);
    this.len += b.length;
  }

  private take(): Buffer {
    const full = this.out.subarray(0, this.len);
    this.out = Buffer.allocUnsafe(CHUNK);
    this.len = 0;
    return full;
  }
}

// Linux's dev_t encoding (glibc's gnu_dev_major/minor).
function major(st: Stats): number {
  const d = BigInt(st.rdev);
  return Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
}

function minor(st: Stats): number {
  const d = BigInt(st.rdev);
  return Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
}
