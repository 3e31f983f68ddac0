import { join } from "node:path";
import type { LocalImage, RemoveReport } from "../image/service.js";
import { treeSize } from "../store/tree-size.js";
import type { Engine } from "./engine.js";
import type { Filters } from "./filters.js";
import { checkFilters } from "./filters.js";
import { createdBefore } from "./images.js";
import { labelMatches } from "./list-containers.js";
import { pruneVolumes } from "./volumes.js";

// The prune verbs: stopped containers, unused images, unused volumes, and
// all three at once (`system prune`). Each says what it removed and how many
// bytes that freed, as Docker's API answers.

/** `container prune`: every container that is not running. */
export async function pruneContainers(engine: Engine, filters: Filters = new Map()): Promise<{ removed: string[]; reclaimed: number }> {
  checkFilters(filters, ["until", "label"]);
  const removed: string[] = [];
  let reclaimed = 0;
  for (const c of engine.containers.list()) {
    if (c.state.Running || c.state.Restarting || c.state.MonitorPid) continue;
    const size = treeSize(join(engine.containers.store.dir(c.record.Id), "upper"));
    try {
      await engine.containers.remove(c.record.Id, {});
      removed.push(c.record.Id);
      reclaimed += size;
    } catch {
      /* started meanwhile */
    }
  }
  return { removed, reclaimed };
}

/** `image prune`: dangling images, or (all) every image no container uses; `until`, `label` and `label!` narrow it, as Docker's do. */
export async function pruneImages(engine: Engine, opts: { all?: boolean; filters?: Filters } = {}): Promise<RemoveReport> {
  const filters = checkFilters(opts.filters ?? new Map(), ["dangling", "until", "label", "label!"]);
  const dangling = filters.get("dangling")?.[0];
  const all = opts.all || dangling === "false" || dangling === "0";
  const until = createdBefore(filters.get("until"));
  const labels = filters.get("label") ?? [];
  const notLabels = filters.get("label!") ?? [];
  const match = (img: LocalImage) => {
    const have = img.config.config?.Labels ?? {};
    return until(img) && labels.every((l) => labelMatches(have, l)) && !notLabels.some((l) => labelMatches(have, l));
  };
  const r = await engine.images.prune({ all, match });
  engine.layout.removeAbandonedTemps();
  return r;
}

export interface SystemPruneResult {
  containers: string[];
  volumes: string[];
  images: RemoveReport;
  reclaimed: number;
}

/** `system prune`: stopped containers, (anonymous) volumes if asked, dangling or all unused images. */
export async function systemPrune(engine: Engine, opts: { all?: boolean; volumes?: boolean }): Promise<SystemPruneResult> {
  const containers = await pruneContainers(engine);
  const volumes = opts.volumes ? await pruneVolumes(engine) : { removed: [], reclaimed: 0 };
  const images = await pruneImages(engine, { all: opts.all });
  return { containers: containers.removed, volumes: volumes.removed, images, reclaimed: containers.reclaimed + volumes.reclaimed + images.reclaimed };
}
