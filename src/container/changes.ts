import { lstatSync, readlinkSync } from "node:fs";
import { diffTrees, flattenLayers, type EntryType, type TreeEntry } from "../core/index.js";
import type { LayerChange } from "../layer/pack.js";
import { TreePaths, displayPath } from "../layer/paths.js";
import { walkTree } from "../layer/tree-walk.js";

// `diff`: a container's root filesystem against the tree its image's layers
// make, compared in the WASM core (flattenLayers applies the layers'
// whiteouts; diffTrees finds what was added, changed or deleted). It reads
// only trees, so it serves both drivers: the vfs copy, and the merged
// fuse-overlayfs view of a running or mounted container. Run it inside
// skiff's namespace, where every file is readable.
//
// Docker's rules (moby pkg/archive/changes.go): a directory's size and
// modification time are no measure of change, only its mode and owner; every
// directory above a change is reported changed; the paths the runtime makes
// for its own mounts (Docker's "init layer") are not changes.

export interface Change {
  kind: "A" | "C" | "D";
  /** Absolute path inside the container. */
  path: string;
}

/** What the runtime creates as mount points; Docker keeps them in a hidden layer. */
const INIT_PATHS = new Set(["dev", "proc", "sys", "etc/hosts", "etc/hostname", "etc/resolv.conf", ".dockerenv", ".containerenv", "run/.containerenv"]);

/** The entry type of an lstat result (also for commit's upper-dir walk). */
export function typeOf(st: ReturnType<typeof lstatSync>): EntryType {
  if (st!.isFile()) return "file";
  if (st!.isDirectory()) return "dir";
  if (st!.isSymbolicLink()) return "symlink";
  if (st!.isFIFO()) return "fifo";
  if (st!.isSocket()) return "socket";
  if (st!.isCharacterDevice()) return "char";
  return "block";
}

/** Every entry below `root` in tree order (byte-string paths), with what the comparison needs. */
export function treeEntries(root: string): TreeEntry[] {
  const paths = new TreePaths(root);
  const out: TreeEntry[] = [];
  for (const path of walkTree(root)) {
    const st = lstatSync(paths.fs(path), { bigint: true });
    const type = typeOf(st as never);
    out.push({
      path,
      type,
      mode: Number(st.mode & 0o7777n),
      uid: Number(st.uid),
      gid: Number(st.gid),
      size: type === "file" ? Number(st.size) : 0,
      // Directories: attributes only (see above). Microseconds (exact in a double); tar --format=posix keeps them in a copy.
      mtime: type === "dir" ? 0 : Number(st.mtimeNs / 1000n),
      linkTarget: type === "symlink" ? readlinkSync(paths.fs(path), "latin1") : undefined,
      rdevMajor: type === "char" || type === "block" ? Number(st.rdev >> 8n) & 0xfff : undefined,
      rdevMinor: type === "char" || type === "block" ? Number(st.rdev & 0xffn) : undefined,
    });
  }
  return out;
}

/** Changes from the image's layers (bottom first) to the root filesystem, as `docker diff` lists them. */
export function rootfsChanges(layerDirs: string[], rootfs: string): Change[] {
  const image = flattenLayers(layerDirs.map(treeEntries)).map((f) => f.entry);
  const raw = diffTrees(image, treeEntries(rootfs), { parents: false });
  const kinds = new Map<string, Change["kind"]>();
  for (const c of raw) {
    if (c.kind === "A" && INIT_PATHS.has(c.path)) continue;
    kinds.set(c.path, c.kind);
  }
  for (const path of [...kinds.keys()]) {
    for (let i = path.lastIndexOf("/"); i > 0; i = path.lastIndexOf("/", i - 1)) {
      const parent = path.slice(0, i);
      if (!kinds.has(parent)) kinds.set(parent, "C");
    }
  }
  return [...kinds.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, kind]) => ({ kind, path: `/${displayPath(path)}` }));
}

/**
 * The same comparison as the changes of one layer (commit on the vfs driver,
 * where no upper dir holds them): added and changed entries with their
 * parent directories, deletions as whiteouts, in layer-tar order. The
 * runtime's own mount points are left out while they are the empty
 * placeholders it made.
 */
export function rootfsLayerChanges(layerDirs: string[], rootfs: string): LayerChange[] {
  const image = flattenLayers(layerDirs.map(treeEntries)).map((f) => f.entry);
  const paths = new TreePaths(rootfs);
  const placeholder = (path: string) => {
    if (!INIT_PATHS.has(path)) return false;
    const st = lstatSync(paths.fs(path));
    return st.isDirectory() || (st.isFile() && st.size === 0);
  };
  const tree = treeEntries(rootfs);
  // The entries that changed themselves, then the directories above them (a
  // layer carries its parents' attributes) — but not above a placeholder.
  const own = new Set<string>();
  for (const c of diffTrees(image, tree, { parents: false })) if (!(c.kind === "A" && placeholder(c.path))) own.add(c.path);
  const above = new Set<string>();
  for (const p of own) for (let i = p.lastIndexOf("/"); i > 0; i = p.lastIndexOf("/", i - 1)) above.add(p.slice(0, i));
  const out: LayerChange[] = [];
  for (const c of diffTrees(image, tree, { parents: true })) {
    if (!own.has(c.path) && !above.has(c.path)) continue;
    out.push({ kind: c.kind === "D" ? "whiteout" : "add", path: c.path });
  }
  return out;
}
