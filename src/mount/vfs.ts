import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { applyLayer, type PathEntry, type EntryType } from "../core/index.js";
import { SkiffError } from "../errors.js";
import type { NamespaceExec } from "./overlay.js";

// The copying `vfs` storage driver (DESIGN.md §3): where fuse-overlayfs cannot
// be used (no /dev/fuse, or `--storage-driver vfs`), a container's root
// filesystem is a plain directory holding a copy of its image's layers,
// applied bottom first as an OCI applier must (image-spec layer.md,
// "Applying Changesets"): before a layer is copied, the paths its whiteouts
// name and the entries it replaces are removed; its own whiteout files are
// never copied. Which paths go is decided by the WASM core (applyLayer), the
// same rules fuse-overlayfs follows for our lower dirs, so both drivers show
// a container the same tree.
//
// The layers hold files owned by subordinate ids, so listing and copying run
// inside skiff's user namespace (find and tar there, through `exec`); the plan
// is made here. tar keeps owners, modes, xattrs, hard links and nanosecond
// times (pax format), which `diff` relies on to see what did not change.

export interface VfsRootfs {
  /** The image's extracted layers, bottom first. */
  layerDirs: string[];
  /** The container's directory: scratch files live here while the copy is made. */
  containerDir: string;
  /** The root filesystem to fill (the container's `merged` directory, empty until then). */
  target: string;
}

/** Written once the copy is complete: a container's vfs root is made once and then kept, like an upper dir. */
const READY = "vfs-ready";

export function vfsRootfsReady(containerDir: string): boolean {
  return existsSync(join(containerDir, READY));
}

const FIND_TYPES: Record<string, EntryType> = { f: "file", d: "dir", l: "symlink", p: "fifo", s: "socket", c: "char", b: "block" };

/** The entries of each layer (byte strings, as the layer store's walkers give them), listed inside the namespace. */
async function listLayers(layerDirs: string[], scratch: string, exec: NamespaceExec): Promise<PathEntry[][]> {
  const out = join(scratch, "vfs-entries");
  // One record per entry ("<type> <path>\0"), and a record holding only "\n" after each layer.
  const script = 'out=$1; shift; for d; do find "$d" -mindepth 1 -printf "%y %P\\0" || exit 1; printf "\\n\\0"; done > "$out"';
  const r = await exec(["sh", "-c", script, "sh", out, ...layerDirs]);
  if (r.code !== 0) throw new SkiffError(`listing image layers for the vfs driver failed: ${r.stderr || `exit ${r.code}`}`);
  const bytes = readFileSync(out);
  rmSync(out, { force: true });
  const layers: PathEntry[][] = [[]];
  let start = 0;
  for (let i = bytes.indexOf(0); i >= 0; start = i + 1, i = bytes.indexOf(0, start)) {
    const rec = bytes.subarray(start, i).toString("latin1");
    if (rec === "\n") {
      layers.push([]);
      continue;
    }
    const type = FIND_TYPES[rec[0]!];
    if (!type || rec[1] !== " ") throw new SkiffError(`unexpected layer listing record ${JSON.stringify(rec)}`);
    layers[layers.length - 1]!.push({ path: rec.slice(2), type });
  }
  layers.pop();
  if (layers.length !== layerDirs.length) throw new SkiffError(`layer listing ended early (${layers.length} of ${layerDirs.length} layers)`);
  return layers;
}

/** Quote for sh. */
function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Per layer, the paths (relative to the root) to remove recursively before copying it in. */
export function planVfsCopy(layers: readonly PathEntry[][]): string[][] {
  let visible: PathEntry[] = [];
  return layers.map((layer) => {
    const applied = applyLayer(visible, layer);
    const removed = applied.deleteRoots.map((i) => visible[i]!.path);
    visible = Array.from(applied.visible, (ref) => (ref >= 0 ? visible[ref]! : layer[~ref]!));
    return removed;
  });
}

/**
 * Fill `target` with the image's layers (once; later calls find it ready).
 * Built under a scratch name and renamed into place, so a copy cut short is
 * never taken for a root filesystem.
 */
export async function prepareVfsRootfs(m: VfsRootfs, exec: NamespaceExec): Promise<void> {
  if (vfsRootfsReady(m.containerDir)) return;
  const layers = await listLayers(m.layerDirs, m.containerDir, exec);
  const removals = planVfsCopy(layers);
  const build = join(m.containerDir, `vfs-build-${process.pid}`);
  const failed = join(m.containerDir, `vfs-failed-${process.pid}`);
  // Numeric owners: the namespace's /etc/passwd is the host's, not the image's.
  const pack = "--format=posix --numeric-owner --xattrs --xattrs-include='*' --exclude='.wh.*'";
  const unpack = "--numeric-owner --same-owner --same-permissions --xattrs --xattrs-include='*'";
  const lines = ["set -e", `rm -rf ${q(build)} ${q(failed)}`, `mkdir ${q(build)}`];
  const lists: string[] = [];
  m.layerDirs.forEach((dir, k) => {
    if (removals[k]!.length) {
      const list = join(m.containerDir, `vfs-remove-${process.pid}-${k}`);
      writeFileSync(list, Buffer.concat(removals[k]!.map((p) => Buffer.from(`${p}\0`, "latin1"))));
      lists.push(list);
      lines.push(`(cd ${q(build)} && xargs -0 rm -rf -- < ${q(list)})`);
    }
    lines.push(`{ tar -C ${q(dir)} ${pack} -cf - . || touch ${q(failed)}; } | tar -C ${q(build)} ${unpack} -xf -`, `test ! -e ${q(failed)}`);
  });
  // Another start may have finished first: keep its copy.
  lines.push(`if [ ! -e ${q(m.target)} ] || rmdir ${q(m.target)} 2>/dev/null; then mv ${q(build)} ${q(m.target)}; else rm -rf ${q(build)}; fi`);
  try {
    const r = await exec(["sh", "-c", lines.join("\n")]);
    if (r.code !== 0) {
      await exec(["rm", "-rf", build, failed]);
      throw new SkiffError(`copying the image into the container (vfs driver) failed: ${r.stderr || `exit ${r.code}`}`, {
        hint: "check free space under the storage root (skiff info)",
      });
    }
  } finally {
    for (const l of lists) rmSync(l, { force: true });
  }
  writeFileSync(join(m.containerDir, READY), "");
}
