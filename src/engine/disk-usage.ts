import { checkStore, type CheckReport } from "../image/check.js";
import { InvalidArgumentError } from "../errors.js";
import type { VolumeInspect } from "../volume/service.js";
import type { Engine } from "./engine.js";
import { listImages, type ImageSummary } from "./images.js";
import { listContainers, type ContainerSummary } from "./list-containers.js";

// `system df` and `system check`: what the store holds and whether it is
// sound. The usage is Docker's GET /system/df answer (moby's DiskUsage):
// the sizes of everything, per image, container and volume. The docker
// CLI computes its table from it, and `skiff system df` computes the same
// table from the same answer, so the two print the same figures.

export interface VolumeUsage extends VolumeInspect {
  UsageData: { Size: number; RefCount: number };
}

export interface DiskUsage {
  /** Bytes of every layer in the store. */
  LayersSize?: number;
  /** Images as `images` lists them, with the containers using each and the bytes each shares with other images. */
  Images?: ImageSummary[];
  /** Every container, with the size of its writable layer (SizeRw) and of its whole root (SizeRootFs). */
  Containers?: ContainerSummary[];
  Volumes?: VolumeUsage[];
  /** skiff's classic builder caches steps as images (counted above): no separate cache. */
  BuildCache?: never[];
}

export const DISK_USAGE_TYPES = ["image", "container", "volume", "build-cache"] as const;
export type DiskUsageType = (typeof DISK_USAGE_TYPES)[number];

function images(engine: Engine): { LayersSize: number; Images: ImageSummary[] } {
  const sizeOf = (chainId: string) => {
    try {
      return engine.layers.get(chainId).size;
    } catch {
      return 0;
    }
  };
  // A layer is shared when more than one image (build steps included) is made of it.
  const refs = new Map<string, number>();
  for (const r of engine.images.records.list()) for (const l of r.layers) refs.set(l, (refs.get(l) ?? 0) + 1);
  const layersOf = new Map(engine.images.list().map((i) => [i.record.id, i.record.layers]));
  const summaries = listImages(engine).map((img) => ({
    ...img,
    SharedSize: (layersOf.get(img.Id) ?? []).filter((l) => (refs.get(l) ?? 0) > 1).reduce((n, l) => n + sizeOf(l), 0),
    Containers: engine.containers.usersOf(img.Id).length,
  }));
  return { LayersSize: engine.layers.list().reduce((n, l) => n + sizeOf(l), 0), Images: summaries };
}

function volumes(engine: Engine): VolumeUsage[] {
  const usage = engine.volumes.usage();
  return engine.volumes.list().map((v) => ({ ...engine.volumes.inspectOne(v.Name), UsageData: usage.get(v.Name) ?? { Size: -1, RefCount: -1 } }));
}

/** GET /system/df and `system df`; `types` (the API's `type`) limits what is measured. */
export function diskUsage(engine: Engine, opts: { types?: string[] } = {}): DiskUsage {
  for (const t of opts.types ?? []) if (!(DISK_USAGE_TYPES as readonly string[]).includes(t)) throw new InvalidArgumentError(`unknown object type: ${t}`);
  const wants = (t: DiskUsageType) => !opts.types?.length || opts.types.includes(t);
  const out: DiskUsage = {};
  if (wants("image")) Object.assign(out, images(engine));
  if (wants("container")) out.Containers = listContainers(engine, { all: true, size: true });
  if (wants("volume")) out.Volumes = volumes(engine);
  if (wants("build-cache")) out.BuildCache = [];
  return out;
}

export async function checkSystem(engine: Engine, opts: { repair?: boolean; quick?: boolean } = {}): Promise<CheckReport> {
  return checkStore(engine.layout, engine.images, opts);
}
