import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  symlinkSync,
  writeSync,
} from "node:fs";
import { asSkiffError, SkiffError } from "../errors.js";
import { LayerFormatError, UnsafeLayerEntryError } from "./errors.js";
import { ExtractTarget, type TargetOptions } from "./extract-target.js";
import { fsAttr, type FsAttr } from "./fsattr.js";
import { WHITEOUT_PREFIX, baseName, displayPath, isAscii, parentOf } from "./paths.js";
import { normalizeEntryName } from "./entry-name.js";
import { readTar, type TarEntry, type TarSink } from "./tar-reader.js";

// Extraction of one layer tar into a fresh directory (layers/<chain-id>/diff),
// later a fuse-overlayfs lowerdir. OCI whiteouts (`.wh.<name>`,
// `.wh..wh..opq`) are kept as the plain files they are in the tar:
// fuse-overlayfs honours them in lower dirs (DESIGN.md §6b).
//
// Runs inside skiff's user namespace as its uid 0, so chown to container ids
// works. The calls are synchronous on purpose: for small files the libuv
// threadpool round trip of each async call costs more than the call itself,
// and one chunk of the stream is written before the next is read, which is
// all the back-pressure a flat memory profile needs.

export interface ExtractOptions extends TargetOptions {
  /** The xattr/FIFO helper (tests inject one; default: the process's shared helper). */
  fsAttr?: FsAttr;
  /**
   * Refuse to replace a directory with a non-directory or the other way
   * round (Docker's archive PUT with noOverwriteDirNonDir, which `docker cp`
   * always asks for); a layer replaces freely.
   */
  noOverwriteDirNonDir?: boolean;
  /** Give every entry this owner instead of its own (archive PUT with copyUIDGID: the container's user). */
  owner?: { uid: number; gid: number };
}

export interface ExtractResult {
  /** Tar entries seen (PAX and GNU long-name headers are not entries). */
  entries: number;
  /** Sum of regular file sizes. */
  bytes: number;
  /** `.wh.` entries, opaque markers included. */
  whiteouts: number;
  /** Block and character devices, which a user namespace cannot create. */
  devicesSkipped: number;
}

const O_CREATE_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

class Extraction implements TarSink {
  readonly result: ExtractResult = { entries: 0, bytes: 0, whiteouts: 0, devicesSkipped: 0 };
  private fd = -1;
  private file: { e: TarEntry; path: string } | undefined;

  constructor(
    private readonly target: ExtractTarget,
    private readonly opts: ExtractOptions,
  ) {}

  entry(e: TarEntry): void | Promise<void> {
    this.result.entries++;
    if (this.opts.owner) {
      e.uid = this.opts.owner.uid;
      e.gid = this.opts.owner.gid;
    }
    const path = normalizeEntryName(e.name);
    if (path !== "" && baseName(path).startsWith(WHITEOUT_PREFIX)) this.result.whiteouts++;
    if (e.type === "char" || e.type === "block") {
      // A user namespace cannot mknod devices; containers/storage skips them
      // there too (pkg/archive, "Can't create device ... in user namespace").
      this.result.devicesSkipped++;
      this.opts.onDebug?.(`skipping ${e.type} device ${displayPath(path)} (${e.devmajor}:${e.devminor}): devices cannot be created in a user namespace`);
      return;
    }
    const t = this.target;
    // A FIFO still being made by the helper must exist before anything that
    // might look at its path (a parent lookup, a replacement, a hard link).
    if (t.hasPendingNodes() && (!t.isRealDir(parentOf(path)) || t.isPendingNode(path) || e.type === "hardlink"))
      return t.flush().then(() => this.place(e, path));
    return this.place(e, path);
  }

  private place(e: TarEntry, path: string): void | Promise<void> {
    if (path === "" && e.type !== "directory")
      throw new UnsafeLayerEntryError(e.name, "it names the layer's root but is not a directory");
    if (path !== "") this.target.ensureParent(path);
    switch (e.type) {
      case "file":
        return this.openFile(e, path);
      case "directory":
        return this.makeDir(e, path);
      case "symlink":
        return this.makeSymlink(e, path);
      case "hardlink":
        return this.makeHardlink(e, path);
      case "fifo":
        return this.makeFifo(e, path);
    }
  }

  data(chunk: Buffer, start: number, end: number): void {
    while (start < end) start += writeSync(this.fd, chunk, start, end - start);
  }

  end(): void {
    if (this.fd < 0) return;
    const { e, path } = this.file!;
    const fd = this.fd;
    const t = this.target;
    if (e.uid !== t.ownerUid || e.gid !== t.ownerGid || t.inheritsGroup(path)) t.chown(path, e.uid, e.gid, () => fchownSync(fd, e.uid, e.gid));
    // After chown, which clears setuid/setgid; also when the umask took bits away.
    if (e.mode & 0o7000 || e.mode & 0o777 & t.umask) fchmodSync(fd, e.mode & 0o7777);
    futimesSync(fd, e.mtime, e.mtime);
    this.fd = -1;
    this.file = undefined;
    closeSync(fd);
    if (e.xattrs) t.setXattrs(path, path, e.xattrs);
  }

  /** Close a file left open by a failure. */
  abort(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  /**
   * Something is at `path` already (a duplicate entry): a directory over a
   * directory keeps it ("keep"); anything else removes what was there.
   */
  private async clear(path: string, wantDir: boolean): Promise<"keep" | "removed"> {
    const st = lstatSync(this.target.fs(path));
    if (wantDir && st.isDirectory()) return "keep";
    if (this.opts.noOverwriteDirNonDir && wantDir !== st.isDirectory())
      throw new SkiffError(wantDir ? `cannot overwrite non-directory "/${path}" with directory` : `cannot overwrite directory "/${path}" with non-directory`, { status: 400 });
    await this.target.remove(path, st);
    return "removed";
  }

  private openFile(e: TarEntry, path: string, retry = true): void | Promise<void> {
    try {
      this.fd = openSync(this.target.fs(path), O_CREATE_FILE, e.mode & 0o777);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || !retry) throw err;
      return this.clear(path, false).then(() => this.openFile(e, path, false));
    }
    this.file = { e, path };
    this.result.bytes += e.size;
  }

  private makeDir(e: TarEntry, path: string): void | Promise<void> {
    const t = this.target;
    const f = t.fs(path);
    // A mode that shuts out its owner would stop us creating children: it is
    // applied at the end (like GNU tar's delayed set_stat).
    const deferred = (e.mode & 0o300) !== 0o300;
    const createMode = deferred ? (e.mode & 0o777) | 0o700 : e.mode & 0o777;
    try {
      mkdirSync(f, createMode);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      return this.clear(path, true).then((r) => {
        if (r === "removed") mkdirSync(f, createMode);
        this.dirMetadata(e, path, r === "keep", deferred);
      });
    }
    this.dirMetadata(e, path, false, deferred);
  }

  private dirMetadata(e: TarEntry, path: string, existing: boolean, deferred: boolean): void {
    const t = this.target;
    const f = t.fs(path);
    const inherit = path !== "" && t.inheritsGroup(path);
    if (existing || inherit || e.uid !== t.ownerUid || e.gid !== t.ownerGid) t.chown(path, e.uid, e.gid, () => lchownSync(f, e.uid, e.gid));
    // f was just made by mkdir or checked by lstat: a real directory.
    if (!deferred && (existing || inherit || e.mode & 0o7000 || e.mode & 0o777 & t.umask)) chmodSync(f, e.mode & 0o7777);
    t.addDir(path, e.mode, e.mtime, deferred);
    if (e.xattrs) t.setXattrs(path, path, e.xattrs);
  }

  private makeSymlink(e: TarEntry, path: string, retry = true): void | Promise<void> {
    const t = this.target;
    const f = t.fs(path);
    // The target is data: any text, never resolved here.
    if (e.linkname === "") throw new LayerFormatError(`entry ${displayPath(path)} is a symlink with an empty target`);
    if (e.linkname.includes("\0")) throw new UnsafeLayerEntryError(path, "its symlink target contains a NUL byte");
    try {
      symlinkSync(isAscii(e.linkname) ? e.linkname : Buffer.from(e.linkname, "latin1"), f);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || !retry) throw err;
      return this.clear(path, false).then(() => this.makeSymlink(e, path, false));
    }
    if (e.uid !== t.ownerUid || e.gid !== t.ownerGid || t.inheritsGroup(path)) t.chown(path, e.uid, e.gid, () => lchownSync(f, e.uid, e.gid));
    lutimesSync(f, e.mtime, e.mtime);
    if (e.xattrs) t.setXattrs(path, path, e.xattrs);
  }

  private makeHardlink(e: TarEntry, path: string, retry = true): void | Promise<void> {
    const t = this.target;
    // Hard link targets name another entry of this layer, from the layer's root.
    const to = normalizeEntryName(e.linkname, "hard link target", path);
    if (to === "") throw new UnsafeLayerEntryError(path, "it is a hard link to the layer's root directory");
    if (to === path) return this.selfLink(path);
    if (!t.isRealDir(parentOf(to))) throw new UnsafeLayerEntryError(path, `its hard link target ${displayPath(to)} ${this.whyUnreachable(to)}`);
    try {
      // link(2) does not follow a symlink target: a link to a symlink is another symlink.
      linkSync(t.fs(to), t.fs(path));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EEXIST" && retry) return this.clear(path, false).then(() => this.makeHardlink(e, path, false));
      if (code === "ENOENT") throw new UnsafeLayerEntryError(path, `its hard link target ${displayPath(to)} does not exist in the layer`);
      if (code === "EPERM" && lstatSync(t.fs(to)).isDirectory())
        throw new UnsafeLayerEntryError(path, `its hard link target ${displayPath(to)} is a directory`);
      throw err;
    }
  }

  private selfLink(path: string): void {
    try {
      lstatSync(this.target.fs(path));
    } catch {
      throw new UnsafeLayerEntryError(path, "it is a hard link to itself, and nothing is there");
    }
  }

  /** Why a hard link target's directory is not a known real directory. */
  private whyUnreachable(to: string): string {
    let p = "";
    for (const part of parentOf(to).split("/")) {
      p = p === "" ? part : `${p}/${part}`;
      if (this.target.isRealDir(p)) continue;
      try {
        if (lstatSync(this.target.fs(p)).isSymbolicLink()) return `is reached through the symlink ${displayPath(p)}`;
      } catch {
        /* missing */
      }
      break;
    }
    return "does not exist in the layer";
  }

  private async makeFifo(e: TarEntry, path: string): Promise<void> {
    const t = this.target;
    try {
      const st = lstatSync(t.fs(path));
      await t.remove(path, st);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    t.addFifo({ path, uid: e.uid, gid: e.gid, mode: e.mode, mtime: e.mtime, xattrs: e.xattrs });
  }
}

/**
 * Extract a layer tar (uncompressed bytes) into `dest`, a fresh empty
 * directory. Refuses, with an error naming the entry, anything that would
 * write outside `dest` or through a symlink; then nothing has been written
 * outside it. On failure `dest` holds a partial tree for the caller to remove.
 */
export async function extractLayer(tar: AsyncIterable<Buffer>, dest: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const attr = () => opts.fsAttr ?? fsAttr();
  const target = new ExtractTarget(dest, attr, opts);
  const extraction = new Extraction(target, opts);
  try {
    await readTar(tar, extraction);
    await target.finish();
    return extraction.result;
  } catch (e) {
    extraction.abort();
    // Let the helper finish what it was asked, so nothing touches dest after we return.
    await attr().drain().catch(() => undefined);
    throw asSkiffError(e);
  }
}
