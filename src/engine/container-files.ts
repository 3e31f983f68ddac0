import { createWriteStream, lstatSync, readlinkSync } from "node:fs";
import { basename } from "node:path";
import type { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { InvalidArgumentError, NotFoundError, SkiffError } from "../errors.js";
import { copyTree, resolveInRoot, splitCopyArg, tarOf, untarInto } from "../container/copy.js";
import { packDirectory } from "../layer/pack.js";
import { resolveUser } from "../runtime/user.js";
import type { Engine } from "./engine.js";

// The verbs that read or write a container's files: cp (host paths on
// either side, for the CLI), the archive trio the API serves (stat, get as a
// tar, put a tar — docker cp and testcontainers use these), export and diff.
// All of them work on the container's root as mounted in skiff's mount
// namespace, so the caller runs inside it (the CLI re-executes itself there;
// the API server lives there).

function requireNamespace(engine: Engine, what: string): void {
  if (!engine.inNamespace)
    throw new SkiffError(`${what} must run inside skiff's user namespace`, { hint: "run it through the skiff CLI or API server, or from `skiff unshare`" });
}

/** `cp` between a container and host paths ("-" is a tar on stdin/stdout). */
export async function copyFiles(engine: Engine, src: string, dest: string, opts: { archive: boolean; followLink: boolean; stdin: Readable; stdout: Writable }): Promise<void> {
  requireNamespace(engine, "cp");
  const from = splitCopyArg(src);
  const to = splitCopyArg(dest);
  if (from.container && to.container) throw new SkiffError("copying between containers is not supported", { code: 1 });
  if (!from.container && !to.container) throw new SkiffError("must specify at least one container source", { code: 1 });
  const contentsOnly = (p: string) => p.endsWith("/.");
  if (from.container) {
    const root = await engine.containers.mountedRootfs(from.container);
    const path = resolveInRoot(root, from.path, opts.followLink || from.path.endsWith("/"));
    if (to.path === "-") await tarOf(path, opts.stdout);
    else copyTree(path, to.path, { contentsOnly: contentsOnly(from.path), archive: opts.archive, ownerRoot: true });
    return;
  }
  const root = await engine.containers.mountedRootfs(to.container!);
  const target = resolveInRoot(root, to.path, true);
  if (from.path === "-") await untarInto(opts.stdin, target);
  else copyTree(from.path, target, { contentsOnly: contentsOnly(from.path), archive: opts.archive, ownerRoot: !opts.archive });
}

/** What Docker's archive endpoints tell about a path (X-Docker-Container-Path-Stat), mode as st_mode. */
export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: Date;
  linkTarget: string;
}

async function locate(engine: Engine, container: string, path: string): Promise<{ host: string; stat: PathStat; root: string }> {
  requireNamespace(engine, "archive");
  if (!path) throw new InvalidArgumentError("path must not be empty");
  const root = await engine.containers.mountedRootfs(container);
  // A trailing "/" or "/." asks for a directory's contents: follow a link there, as Docker does.
  const host = resolveInRoot(root, path, /\/\.?$/.test(path));
  let st;
  try {
    st = lstatSync(host);
  } catch {
    throw new NotFoundError(`Could not find the file ${path} in container ${container}`);
  }
  const linkTarget = st.isSymbolicLink() ? readlinkSync(host) : "";
  return { host, root, stat: { name: basename(path.replace(/\/\.?$/, "")) || "/", size: st.size, mode: st.mode, mtime: st.mtime, linkTarget } };
}

export async function statContainerPath(engine: Engine, container: string, path: string): Promise<PathStat> {
  return (await locate(engine, container, path)).stat;
}

/** A tar of a path in the container (its base name first), with its stat. */
export async function getArchive(engine: Engine, container: string, path: string): Promise<{ stat: PathStat; write(out: Writable): Promise<void> }> {
  const { host, stat } = await locate(engine, container, path);
  return { stat, write: (out) => tarOf(host, out) };
}

export interface PutArchiveOptions {
  /** Refuse to replace a directory with a non-directory or the reverse (`docker cp` always asks). */
  noOverwriteDirNonDir?: boolean;
  /** Docker's copyUIDGID (`docker cp -a`): the files belong to the container's user, when it has one; else they keep the tar's owners. */
  copyUIDGID?: boolean;
}

/** Extract a tar into a directory of the container (created or running), as PUT …/archive does. */
export async function putArchive(engine: Engine, container: string, path: string, tar: Readable, opts: PutArchiveOptions = {}): Promise<void> {
  const { host, stat, root } = await locate(engine, container, path);
  if ((stat.mode & 0o170000) !== 0o040000) throw new InvalidArgumentError(`extraction point is not a directory: ${path}`);
  const record = engine.containers.get(container).record;
  const owner = opts.copyUIDGID && record.Config.User ? resolveUser(record.Config.User, [root]) : undefined;
  await untarInto(tar, host, { noOverwriteDirNonDir: opts.noOverwriteDirNonDir, owner: owner && { uid: owner.uid, gid: owner.gid } });
}

/** `export`: the container's root filesystem as one tar. */
export async function exportContainer(engine: Engine, name: string, out: string | Writable): Promise<void> {
  requireNamespace(engine, "export");
  const rootfs = await engine.containers.mountedRootfs(name);
  await pipeline(packDirectory(rootfs), typeof out === "string" ? createWriteStream(out) : out);
}

/** `diff`: the root filesystem against the image's layers, as Docker's A/C/D (Kind 1, 0, 2 in the API). */
export async function containerChanges(engine: Engine, name: string): Promise<{ kind: "A" | "C" | "D"; path: string }[]> {
  requireNamespace(engine, "diff");
  return engine.containers.changes(name);
}
