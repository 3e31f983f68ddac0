import { cpSync, existsSync, lchownSync, lstatSync, readlinkSync, statSync } from "node:fs";
import { basename, dirname, join, posix } from "node:path";
import type { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { InvalidArgumentError, NotFoundError } from "../errors.js";
import { extractLayer, type ExtractOptions } from "../layer/extract.js";
import { packLayer, type LayerChange } from "../layer/pack.js";
import { walkTree } from "../layer/tree-walk.js";

// `cp` between a container's root filesystem and the host. Paths inside the
// container are resolved as the container would resolve them — a symlink's
// target is read relative to the container's root, and ".." stops at that
// root — so no link planted in the container can make cp read or write
// outside it (what Docker's archive.FollowSymlinkInScope guarantees).

const MAX_LINKS = 40;

/**
 * The host path of `path` inside `root`, following symlinks within the root.
 * With `followLast` false the last component is not followed (cp copies a
 * link as a link unless -L).
 */
export function resolveInRoot(root: string, path: string, followLast = true): string {
  let resolved: string[] = [];
  const pending = posix.normalize(`/${path}`).split("/").filter(Boolean);
  let hops = 0;
  while (pending.length) {
    const part = pending.shift()!;
    if (part === "..") {
      resolved.pop();
      continue;
    }
    if (part === ".") continue;
    const host = join(root, ...resolved, part);
    let st;
    try {
      st = lstatSync(host);
    } catch {
      resolved.push(part, ...pending.filter((p) => p !== "."));
      return join(root, ...normalizeParts(resolved));
    }
    if (st.isSymbolicLink() && (pending.length > 0 || followLast)) {
      if (++hops > MAX_LINKS) throw new InvalidArgumentError(`too many levels of symbolic links: ${path}`);
      const target = readlinkSync(host);
      if (target.startsWith("/")) resolved = [];
      pending.unshift(...target.split("/").filter(Boolean));
      continue;
    }
    resolved.push(part);
  }
  return join(root, ...resolved);
}

function normalizeParts(parts: string[]): string[] {
  const out: string[] = [];
  for (const p of parts) {
    if (p === "..") out.pop();
    else if (p !== ".") out.push(p);
  }
  return out;
}

/** "name:/path" → container "name", path "/path"; host paths need no colon before their first slash. */
export function splitCopyArg(arg: string): { container?: string; path: string } {
  if (arg === "-") return { path: "-" };
  const colon = arg.indexOf(":");
  const slash = arg.indexOf("/");
  if (colon > 0 && (slash < 0 || colon < slash)) return { container: arg.slice(0, colon), path: arg.slice(colon + 1) || "/" };
  return { path: arg };
}

/** dir/rel as a path buffer: walkTree yields names as byte strings (latin1), which need not be UTF-8. */
function under(dir: string, rel: string): Buffer {
  return Buffer.concat([Buffer.from(`${dir}/`), Buffer.from(rel, "latin1")]);
}

function keepOwners(src: string, dst: string): void {
  const st = lstatSync(src);
  lchownSync(dst, st.uid, st.gid);
  if (st.isDirectory()) for (const rel of walkTree(src)) {
    const s = lstatSync(under(src, rel));
    lchownSync(under(dst, rel), s.uid, s.gid);
  }
}

/**
 * Copy `src` (a host path, already resolved) to `dest` with docker cp's
 * rules: into an existing directory it lands as dest/<name>; "src/." copies
 * a directory's contents. Symlinks inside are copied as links, never followed.
 */
export function copyTree(src: string, dest: string, opts: { contentsOnly: boolean; archive: boolean; ownerRoot: boolean }): void {
  let st;
  try {
    st = lstatSync(src);
  } catch {
    throw new NotFoundError(`Could not find the file ${src} in container`);
  }
  let target = dest;
  const destIsDir = existsSync(dest) && statSync(dest).isDirectory();
  if (st.isDirectory()) {
    if (destIsDir && !opts.contentsOnly) target = join(dest, basename(src));
  } else {
    if (!destIsDir && dest.endsWith("/")) throw new InvalidArgumentError(`destination directory ${dest} does not exist`);
    if (destIsDir) target = join(dest, basename(src));
  }
  if (!existsSync(dirname(target))) throw new InvalidArgumentError(`destination directory ${dirname(target)} does not exist`);
  cpSync(src, target, { recursive: true, force: true, dereference: false, verbatimSymlinks: true, preserveTimestamps: true });
  if (opts.archive) keepOwners(src, target);
  else if (opts.ownerRoot) {
    lchownSync(target, 0, 0);
    if (st.isDirectory()) for (const rel of walkTree(target)) lchownSync(under(target, rel), 0, 0);
  }
}

/** A tar of `src` (its base name first, then everything below), for `cp CONTAINER:SRC -`. */
export async function tarOf(src: string, out: Writable): Promise<void> {
  const root = dirname(src);
  const name = Buffer.from(basename(src)).toString("latin1");
  function* changes(): Generator<LayerChange> {
    yield { kind: "add", path: Buffer.from(name, "latin1") };
    if (lstatSync(src).isDirectory()) for (const rel of walkTree(src)) yield { kind: "add", path: Buffer.from(`${name}/${rel}`, "latin1") };
  }
  await pipeline(packLayer(root, changes()), out);
}

/** Extract a tar from `input` into an existing container directory (`cp - CONTAINER:DEST`, archive PUT). */
export async function untarInto(input: Readable, dir: string, opts: Pick<ExtractOptions, "noOverwriteDirNonDir" | "owner"> = {}): Promise<void> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InvalidArgumentError(`destination "${dir}" must be a directory`);
  await extractLayer(input, dir, opts);
}
