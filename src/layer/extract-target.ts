import { chmodSync, lchownSync, lstatSync, lutimesSync, mkdirSync, readFileSync, rmSync, unlinkSync, type Stats } from "node:fs";
import { SkiffError } from "../errors.js";
import { UnmappedOwnerError, UnsafeLayerEntryError } from "./errors.js";
import { FsAttrError, type FsAttr } from "./fsattr.js";
import { TreePaths, displayPath, parentOf } from "./paths.js";

// The directory a layer is extracted into, and the rules that keep every
// write inside it:
//   - a path is written only when its parent is a directory this extraction
//     knows to be real (`realDirs`): a Set lookup per entry, an lstat only for
//     a parent not seen before; a symlink on the way is refused, never followed;
//   - whatever already sits at a path is removed before the new entry is
//     created with O_EXCL (files also O_NOFOLLOW), so no open, chmod or chown
//     lands on a symlink's target;
//   - directory times (and modes that would lock us out) are applied at the
//     end, since creating children changes a directory's mtime.

const S_ISGID = 0o2000;

/** xattr failures that mean "this filesystem or namespace does not allow it", skipped as Podman does. */
const XATTR_SKIPPABLE = new Set(["EPERM", "EACCES", "ENOTSUP", "EOPNOTSUPP", "E2BIG", "ERANGE"]);

export interface TargetOptions {
  ignoreChownErrors?: boolean;
  onWarning?: (msg: string) => void;
  onDebug?: (msg: string) => void;
}

interface DirMeta {
  mtime: number;
  /** Mode to apply at the end (only when the creation mode had to differ). */
  mode?: number;
}

export interface PendingNode {
  path: string;
  uid: number;
  gid: number;
  mode: number;
  mtime: number;
  xattrs?: Map<string, string>;
}

/** The umask, read without changing it (process.umask() sets it to read it). */
function currentUmask(): number {
  try {
    const m = /^Umask:\s*([0-7]+)$/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return parseInt(m[1]!, 8);
  } catch {
    /* not Linux: assume the worst, and always chmod */
  }
  return 0o777;
}

export class ExtractTarget {
  readonly umask = currentUmask();
  readonly ownerUid = process.geteuid?.() ?? 0;
  readonly ownerGid = process.getegid?.() ?? 0;
  /** Directories known to be real (not symlinks) and ours; "" is the root. */
  private realDirs = new Set<string>([""]);
  /** Directories with the setgid bit: children inherit their group (and subdirectories the bit). */
  private setgidDirs = new Set<string>();
  private dirMeta = new Map<string, DirMeta>();
  private pendingNodes = new Map<string, PendingNode>();
  private helperError: Error | undefined;
  private chownWarned = false;
  private readonly paths: TreePaths;

  constructor(
    readonly dest: string,
    private readonly attr: () => FsAttr,
    private readonly opts: TargetOptions,
  ) {
    const st = lstatSync(dest);
    if (!st.isDirectory()) throw new SkiffError(`cannot extract a layer into ${dest}: it is not a directory`);
    if (st.mode & S_ISGID) this.setgidDirs.add("");
    this.paths = new TreePaths(dest);
  }

  /** The filesystem path of a normalised entry path (a Buffer when the name is not ASCII). */
  fs(p: string): string | Buffer {
    return this.paths.fs(p);
  }

  isRealDir(p: string): boolean {
    return this.realDirs.has(p);
  }

  /** Whether a new object at `p` gets its group from a setgid parent. */
  inheritsGroup(p: string): boolean {
    return this.setgidDirs.size > 0 && this.setgidDirs.has(parentOf(p));
  }

  /** Whether a FIFO creation for `p` is still in flight. */
  hasPendingNodes(): boolean {
    return this.pendingNodes.size > 0;
  }

  isPendingNode(p: string): boolean {
    return this.pendingNodes.has(p);
  }

  /**
   * Make sure the parent of `entry` is a real directory, creating missing
   * ones (mode 0755, owned by the namespace's root, as Docker does for a tar
   * that omits them). Refuses a parent that is a symlink or not a directory.
   */
  ensureParent(entry: string): void {
    const parent = parentOf(entry);
    if (this.realDirs.has(parent)) return;
    const parts = parent.split("/");
    let p = "";
    for (const part of parts) {
      p = p === "" ? part : `${p}/${part}`;
      if (this.realDirs.has(p)) continue;
      let st: Stats | undefined;
      try {
        st = lstatSync(this.fs(p));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      }
      if (st === undefined) {
        const inherit = this.inheritsGroup(p);
        mkdirSync(this.fs(p), 0o755);
        if (this.umask & 0o755 || inherit) chmodSync(this.fs(p), inherit ? 0o755 | S_ISGID : 0o755);
        if (inherit) this.setgidDirs.add(p);
      } else if (st.isSymbolicLink()) {
        throw new UnsafeLayerEntryError(entry, `its parent ${displayPath(p)} is a symlink, and extraction never writes through symlinks`);
      } else if (!st.isDirectory()) {
        throw new UnsafeLayerEntryError(entry, `its parent ${displayPath(p)} is not a directory`);
      }
      this.realDirs.add(p);
    }
  }

  /** Record a directory this extraction made (or kept) at `p`. */
  addDir(p: string, mode: number, mtime: number, deferredMode: boolean): void {
    this.realDirs.add(p);
    if (mode & S_ISGID && !deferredMode) this.setgidDirs.add(p);
    else this.setgidDirs.delete(p);
    this.dirMeta.delete(p); // keep insertion order = creation order for the final pass
    this.dirMeta.set(p, deferredMode ? { mtime, mode } : { mtime });
  }

  /**
   * Remove what sits at `p` so a new entry can take its place. A directory
   * goes with its whole subtree (rm never follows symlinks inside it).
   * Pending helper work is finished first, so no late xattr or FIFO call
   * lands on the replacement.
   */
  async remove(p: string, st: Stats): Promise<void> {
    await this.flush();
    if (st.isDirectory()) {
      rmSync(this.fs(p), { recursive: true, force: true });
      const inside = `${p}/`;
      for (const set of [this.realDirs, this.setgidDirs])
        for (const d of set) if (d === p || d.startsWith(inside)) set.delete(d);
      for (const d of this.dirMeta.keys()) if (d === p || d.startsWith(inside)) this.dirMeta.delete(d);
    } else unlinkSync(this.fs(p));
  }

  /**
   * Apply an owner. `chown` does the call (fchown, lchown); failures become
   * clear errors: an id outside the mapped range names the id and the
   * /etc/subuid fix; with ignoreChownErrors they are skipped with one warning.
   */
  chown(entry: string, uid: number, gid: number, chown: () => void): void {
    try {
      chown();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "EINVAL" && code !== "EPERM") throw e;
      if (this.opts.ignoreChownErrors) {
        if (!this.chownWarned) {
          this.chownWarned = true;
          this.opts.onWarning?.(
            `cannot set owner ${uid}:${gid} on layer entry ${displayPath(entry)} (${code}); ignoring this and any further ownership errors in the layer`,
          );
        }
        return;
      }
      if (code === "EINVAL") {
        const uidMap = mappedLimit("uid");
        const unmappedUid = uidMap !== undefined && uid >= uidMap;
        throw new UnmappedOwnerError(entry, unmappedUid ? "uid" : "gid", unmappedUid ? uid : gid, unmappedUid ? uidMap : mappedLimit("gid"));
      }
      throw new SkiffError(`cannot give layer entry ${displayPath(entry)} owner ${uid}:${gid}: operation not permitted`, {
        hint: "layers must be extracted inside skiff's user namespace (see `skiff unshare`)",
        cause: e,
      });
    }
  }

  /** Send an entry's xattrs to the helper; failures are collected and raised at the next flush. */
  setXattrs(entry: string, p: string, xattrs: Map<string, string>): void {
    const attr = this.attr();
    const target = this.fs(p);
    for (const [name, value] of xattrs) {
      attr.queueSetXattr(target, name, Buffer.from(value, "latin1"), (e) => {
        if (!e) return;
        if (e instanceof FsAttrError && XATTR_SKIPPABLE.has(e.errno))
          this.opts.onDebug?.(`skipping xattr ${displayPath(name)} on ${displayPath(entry)}: ${e.errno} (not allowed here)`);
        else
          this.helperError ??=
            e instanceof FsAttrError ? new SkiffError(`cannot set xattr ${displayPath(name)} on layer entry ${displayPath(entry)}: ${e.message}`, { cause: e }) : e;
      });
    }
  }

  /** Ask the helper for a FIFO; its owner, mode and times follow once it exists (see flush). */
  addFifo(node: PendingNode): void {
    const p = node.path;
    this.pendingNodes.set(p, node);
    this.attr().queueMkfifo(this.fs(p), node.mode & 0o777, (e) => {
      if (e) this.helperError ??= new SkiffError(`cannot create FIFO ${displayPath(p)}: ${e.message}`, { cause: e });
    });
  }

  /** Wait for the helper's work, then give the FIFOs it made their owner, mode and times. */
  async flush(): Promise<void> {
    const attr = this.attr();
    if (attr.pending() > 0) await attr.drain();
    if (this.helperError) throw this.helperError;
    if (this.pendingNodes.size === 0) return;
    const nodes = [...this.pendingNodes.values()];
    this.pendingNodes.clear();
    for (const n of nodes) {
      const f = this.fs(n.path);
      if (n.uid !== this.ownerUid || n.gid !== this.ownerGid || this.inheritsGroup(n.path))
        this.chown(n.path, n.uid, n.gid, () => lchownSync(f, n.uid, n.gid));
      if (n.mode & 0o7000) chmodSync(f, n.mode & 0o7777); // f is the FIFO just made: nothing to follow
      lutimesSync(f, n.mtime, n.mtime);
      if (n.xattrs) this.setXattrs(n.path, n.path, n.xattrs);
    }
    if (attr.pending() > 0) await attr.drain();
    if (this.helperError) throw this.helperError;
  }

  /** Last step: finish helper work, then directory modes and times, deepest first. */
  async finish(): Promise<void> {
    await this.flush();
    const dirs = [...this.dirMeta];
    for (let i = dirs.length - 1; i >= 0; i--) {
      const [p, meta] = dirs[i]!;
      const f = this.fs(p);
      if (meta.mode !== undefined) chmodSync(f, meta.mode & 0o7777);
      lutimesSync(f, meta.mtime, meta.mtime);
    }
  }
}

/** One past the highest id mapped into this process's user namespace, from /proc/self/{uid,gid}_map. */
function mappedLimit(kind: "uid" | "gid"): number | undefined {
  try {
    let top = 0;
    for (const line of readFileSync(`/proc/self/${kind}_map`, "utf8").trim().split("\n")) {
      const [inside, , count] = line.trim().split(/\s+/).map(Number);
      top = Math.max(top, inside! + count!);
    }
    return top;
  } catch {
    return undefined;
  }
}
