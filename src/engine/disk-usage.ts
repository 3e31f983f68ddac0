import { join } from "node:path";
import { checkStore, type CheckReport } from "../image/check.js";
import { treeSize } from "../store/tree-size.js";
import type { Engine } from "./engine.js";

// `system df` and `system check`: what the store holds and whether it is
// sound.

export interface UsageLine {
  total: number;
  active: number;
  size: number;
  reclaimable: number;
}

export interface DiskUsage {
  images: UsageLine;
  containers: UsageLine;
  volumes: UsageLine;
}

export function diskUsage(engine: Engine): DiskUsage {
  const images = engine.images.list();
  const sizeOf = (chainId: string) => {
    try {
      return engine.layers.get(chainId).size;
    } catch {
      return 0;
    }
  };
  const all = new Set(images.flatMap((i) => i.record.layers));
  const active = images.filter((i) => engine.containers.usersOf(i.record.id).length > 0);
  const activeLayers = new Set(active.flatMap((i) => i.record.layers));
  const size = [...all].reduce((n, l) => n + sizeOf(l), 0);
  const used = [...activeLayers].reduce((n, l) => n + sizeOf(l), 0);
  const containers = engine.containers.list();
  const ctr: UsageLine = { total: containers.length, active: containers.filter((c) => c.state.Running).length, size: 0, reclaimable: 0 };
  for (const c of containers) {
    const n = treeSize(join(engine.containers.store.dir(c.record.Id), "upper"));
    ctr.size += n;
    if (!c.state.Running) ctr.reclaimable += n;
  }
  return {
    images: { total: images.length, active: active.length, size, reclaimable: size - used },
    containers: ctr,
    volumes: engine.volumes.usage(),
  };
}

export async function checkSystem(engine: Engine, opts: { repair?: boolean; quick?: boolean } = {}): Promise<CheckReport> {
  return checkStore(engine.layout, engine.images, opts);
}
