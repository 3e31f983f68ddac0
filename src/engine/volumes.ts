import { InvalidArgumentError } from "../errors.js";
import type { VolumeInspect } from "../volume/service.js";
import { labelMatches } from "./list-containers.js";
import type { Engine } from "./engine.js";
import { checkFilters, type Filters } from "./filters.js";

// The volume verbs: create, list (with the daemon's filters), inspect,
// remove, prune. Answers are Docker's volume JSON.

export interface VolumeCreateRequest {
  name?: string;
  driver?: string;
  labels?: Record<string, string>;
  options?: Record<string, string>;
}

export function createVolume(engine: Engine, req: VolumeCreateRequest = {}): VolumeInspect {
  const v = engine.volumes.create({ name: req.name, driver: req.driver, labels: req.labels ?? {}, options: req.options ?? {} });
  return engine.volumes.inspectOne(v.Name);
}

function safeRegExp(s: string): RegExp | undefined {
  try {
    return new RegExp(s);
  } catch {
    return undefined;
  }
}

export function listVolumes(engine: Engine, filters: Filters = new Map()): VolumeInspect[] {
  checkFilters(filters, ["name", "label", "dangling", "driver"]);
  const dangling = filters.get("dangling")?.map((d) => {
    if (["true", "1"].includes(d.toLowerCase())) return true;
    if (["false", "0"].includes(d.toLowerCase())) return false;
    throw new InvalidArgumentError(`invalid filter 'dangling=${d}'`);
  });
  const used = dangling ? engine.volumes.inUse() : new Set<string>();
  return engine.volumes
    .list()
    .filter(
      (v) =>
        (!filters.has("name") || filters.get("name")!.some((n) => v.Name.includes(n) || safeRegExp(n)?.test(v.Name))) &&
        (!filters.has("label") || filters.get("label")!.every((l) => labelMatches(v.Labels, l))) &&
        (!filters.has("driver") || filters.get("driver")!.includes(v.Driver)) &&
        (!dangling || dangling.some((d) => d === !used.has(v.Name))),
    )
    .map((v) => engine.volumes.inspectOne(v.Name));
}

export async function removeVolume(engine: Engine, name: string, opts: { force?: boolean } = {}): Promise<void> {
  await engine.volumes.remove(name, opts);
}

/** `volume prune`: anonymous volumes no container uses (all unused ones with all=true), by label filters. */
export async function pruneVolumes(engine: Engine, filters: Filters = new Map(), all = false): Promise<{ removed: string[]; reclaimed: number }> {
  checkFilters(filters, ["label", "all"]);
  const everything = all || (filters.get("all") ?? []).some((a) => ["true", "1"].includes(a));
  return engine.volumes.prune({ all: everything, labels: filters.get("label") });
}
