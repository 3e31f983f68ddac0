import { spawnSync } from "node:child_process";
import { chmodSync, closeSync, copyFileSync, existsSync, lchownSync, lstatSync, lutimesSync, mkdirSync, openSync, readSync, readdirSync, readlinkSync, rmSync, symlinkSync, utimesSync } from "node:fs";
import { join, posix, relative } from "node:path";
import { resolveInRoot } from "../container/copy.js";
import { SkiffError } from "../errors.js";
import type { CopiedFile } from "./cache.js";
import { archiveKind } from "./context.js";

// Carrying out a COPY/ADD into an image's root (a step container's mounted
// tree, whose upper dir then becomes the layer). Destination paths are
// resolved inside that root, so a symlink in the image cannot send files
// elsewhere. Files keep their mode and mtime; owners become --chown's ids
// (root by default); directories created on the way get the same owner.

export interface CopyItem {
  /** Where the source is on this host. */
  hostPath: string;
  /** The source's path relative to its tree (context or image), for .dockerignore. */
  rel: string;
  isDir: boolean;
  /** The absolute path in the image it goes to (for a directory: the directory its contents go into). */
  target: string;
}

export interface CopyOptions {
  uid: number;
  gid: number;
  mode?: number;
  /** Context paths to leave out (.dockerignore). */
  excluded?: (rel: string) => boolean;
  /** ADD: unpack local tar archives into the destination. */
  unpack?: boolean;
}

/** Every file a source brings (itself, or all below it), with names relative to the source. */
export function* sourceFiles(item: Pick<CopyItem, "hostPath" | "rel" | "isDir">, excluded?: (rel: string) => boolean): Generator<CopiedFile> {
  if (!item.isDir) {
    yield { name: posix.basename(item.rel || "/"), path: item.hostPath };
    return;
  }
  const walk = function* (dir: string, rel: string, name: string): Generator<CopiedFile> {
    for (const n of readdirSync(dir).sort()) {
      const r = rel ? `${rel}/${n}` : n;
      const nm = name ? `${name}/${n}` : n;
      const p = join(dir, n);
      const st = lstatSync(p);
      const ex = excluded?.(r) ?? false;
      if (!ex) yield { name: nm, path: p };
      // Below an excluded directory, only what a "!" exception brings back is yielded.
      if (st.isDirectory()) yield* walk(p, r, nm);
    }
  };
  yield* walk(item.hostPath, item.rel, "");
}

export function isArchive(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(512);
    const n = readSync(fd, head, 0, 512, 0);
    return archiveKind(head.subarray(0, n)) !== undefined;
  } finally {
    closeSync(fd);
  }
}

/** Make `dir` (absolute in the image) and its missing parents, as directories owned by uid:gid. */
export function ensureDir(root: string, dir: string, uid: number, gid: number): string {
  let at = "/";
  for (const part of dir.split("/").filter(Boolean)) {
    at = posix.join(at, part);
    const host = resolveInRoot(root, at);
    let st;
    try {
      st = lstatSync(host);
    } catch {
      mkdirSync(host, { mode: 0o755 });
      chmodSync(host, 0o755);
      lchownSync(host, uid, gid);
      continue;
    }
    if (!st.isDirectory()) throw new SkiffError(`cannot copy to ${dir}: ${at} is not a directory`);
  }
  return resolveInRoot(root, dir);
}

function copyEntry(src: string, dest: string, o: CopyOptions, rel: string): void {
  const st = lstatSync(src);
  let existing;
  try {
    existing = lstatSync(dest);
  } catch {
    existing = undefined;
  }
  if (st.isDirectory()) {
    if (existing && !existing.isDirectory()) rmSync(dest, { force: true });
    if (!existing || !existing.isDirectory()) mkdirSync(dest);
    for (const n of readdirSync(src)) {
      const r = rel ? `${rel}/${n}` : n;
      if (o.excluded?.(r) && !hasKept(join(src, n), r, o.excluded)) continue;
      copyEntry(join(src, n), join(dest, n), o, r);
    }
    chmodSync(dest, o.mode ?? st.mode & 0o7777);
    lchownSync(dest, o.uid, o.gid);
    utimesSync(dest, st.atime, st.mtime);
    return;
  }
  if (existing) {
    if (existing.isDirectory()) throw new SkiffError(`cannot overwrite directory ${dest.slice(dest.length - rel.length)} with a file`);
    rmSync(dest, { force: true });
  }
  if (st.isSymbolicLink()) {
    symlinkSync(readlinkSync(src), dest);
    lchownSync(dest, o.uid, o.gid);
    lutimesSync(dest, st.atime, st.mtime);
    return;
  }
  if (!st.isFile()) return; // devices, fifos and sockets of a context are not copied
  copyFileSync(src, dest);
  lchownSync(dest, o.uid, o.gid);
  chmodSync(dest, o.mode ?? st.mode & 0o7777);
  utimesSync(dest, st.atime, st.mtime);
}

/** An excluded directory may still hold a "!" exception. */
function hasKept(dir: string, rel: string, excluded: (rel: string) => boolean): boolean {
  let st;
  try {
    st = lstatSync(dir);
  } catch {
    return false;
  }
  if (!st.isDirectory()) return false;
  for (const n of readdirSync(dir)) {
    const r = `${rel}/${n}`;
    if (!excluded(r) || hasKept(join(dir, n), r, excluded)) return true;
  }
  return false;
}

/**
 * The path in `upper` that stands for `host` (a path under the mounted
 * `root`), with the directories on the way copied up from the merged view
 * (mode, owner, times), as fuse-overlayfs would copy them up.
 */
function inUpper(root: string, upper: string | undefined, host: string): string {
  if (upper === undefined || upper === root) return host;
  const rel = relative(root, host);
  if (rel.startsWith("..")) throw new SkiffError(`${host} is outside the image root`);
  let at = "";
  for (const part of rel.split("/").filter(Boolean)) {
    at = at ? `${at}/${part}` : part;
    const dir = join(upper, at);
    if (existsSync(dir)) continue;
    const st = lstatSync(join(root, at));
    mkdirSync(dir);
    chmodSync(dir, st.mode & 0o7777);
    lchownSync(dir, st.uid, st.gid);
    utimesSync(dir, st.atime, st.mtime);
  }
  return join(upper, rel);
}

/**
 * Copy (or, for ADD, unpack) the items into the image at `root`. With
 * `upper` (the overlay's upper dir behind a mounted `root`), paths are
 * resolved in the mounted tree but the files are written straight into the
 * upper dir: fuse-overlayfs is read only for lookups, so copying a thousand
 * files costs no thousand round trips through FUSE. Unmount before reading
 * the result through `root` again.
 */
export function copyInto(root: string, items: CopyItem[], o: CopyOptions, upper?: string): void {
  for (const item of items) {
    if (item.isDir) {
      const dest = inUpper(root, upper, ensureDir(root, item.target, o.uid, o.gid));
      for (const n of readdirSync(item.hostPath)) {
        const r = item.rel ? `${item.rel}/${n}` : n;
        if (o.excluded?.(r) && !hasKept(join(item.hostPath, n), r, o.excluded)) continue;
        copyEntry(join(item.hostPath, n), join(dest, n), o, r);
      }
      continue;
    }
    if (o.unpack && lstatSync(item.hostPath).isFile() && isArchive(item.hostPath)) {
      const dest = inUpper(root, upper, ensureDir(root, item.target, o.uid, o.gid));
      const r = spawnSync("tar", ["-x", "-f", item.hostPath, "-C", dest], { encoding: "utf8" });
      if (r.status !== 0) throw new SkiffError(`unpacking ${item.rel}: ${r.stderr.trim()}`);
      continue;
    }
    const parent = inUpper(root, upper, ensureDir(root, posix.dirname(item.target), o.uid, o.gid));
    copyEntry(item.hostPath, join(parent, posix.basename(item.target)), o, item.rel);
  }
}
