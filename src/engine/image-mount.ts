import { join } from "node:path";
import { SkiffError } from "../errors.js";
import { isMounted, mountOverlay, mountPoints, unmount } from "../mount/overlay.js";
import type { Engine } from "./engine.js";

// `image mount`/`unmount`: an image's layers as one read-only
// fuse-overlayfs tree, visible inside skiff's mount namespace (so: from
// `skiff unshare`, and to the builder, which reads stages through it).

function mountPoint(engine: Engine, id: string): string {
  return join(engine.layout.root, "mounts", id.replace(/^sha256:/, ""));
}

function requireNamespace(engine: Engine, what: string): void {
  if (!engine.inNamespace)
    throw new SkiffError(`cannot run "${what}" in rootless mode outside skiff's user namespace`, {
      hint: "run `skiff unshare` first, then the command inside that shell",
    });
}

export async function mountImage(engine: Engine, name: string): Promise<string> {
  requireNamespace(engine, "image mount");
  const img = engine.images.get(name);
  const target = mountPoint(engine, img.record.id);
  if (isMounted(target)) return target;
  if (engine.storageDriver !== "overlay")
    throw new SkiffError("image mount needs the overlay storage driver (fuse-overlayfs)", { hint: "make /dev/fuse usable and install fuse-overlayfs (skiff info)" });
  await mountOverlay({ lowerDirs: img.record.layers.map((l) => engine.layers.diffDir(l)), target });
  return target;
}

/** Returns the image id that was unmounted. */
export async function unmountImage(engine: Engine, name: string): Promise<string> {
  requireNamespace(engine, "image unmount");
  const img = engine.images.get(name);
  await unmount(mountPoint(engine, img.record.id));
  return img.record.id;
}

export function mountedImages(engine: Engine): { id: string; path: string }[] {
  const mounted = mountPoints();
  return engine.images.records
    .list()
    .map((r) => ({ id: r.id, path: mountPoint(engine, r.id) }))
    .filter((m) => mounted.has(m.path));
}
