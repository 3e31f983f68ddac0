import { InvalidArgumentError } from "../errors.js";
import { parseTimestamp } from "../events/time.js";
import { imageHistory } from "../image/inspect.js";
import { parseReference } from "../image/reference.js";
import { familiar, type LocalImage, type RemoveReport } from "../image/service.js";
import { pathMatch } from "../gotext/path-match.js";
import type { Engine } from "./engine.js";
import { checkFilters, type Filters } from "./filters.js";
import { labelMatches } from "./list-containers.js";

// The image verbs the daemon answers: list (with its filters), history,
// tag, remove. Names are given back in Docker's familiar form
// ("busybox:latest"), as its API does.

export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: number;
  Size: number;
  SharedSize: number;
  VirtualSize: number;
  Labels: Record<string, string> | null;
  Containers: number;
}

function createdMs(img: LocalImage): number {
  const t = Date.parse(img.config.created ?? "");
  return Number.isNaN(t) ? 0 : t;
}

/** A reference filter (a Go path pattern: "busybox", "busybox:1.*") against a stored name, as the daemon matches it. */
function referenceMatches(pattern: string, name: string): boolean {
  const f = familiar(name);
  let repo: string;
  try {
    repo = parseReference(name).familiarName();
  } catch {
    repo = f;
  }
  return pathMatch(pattern, f) || pathMatch(pattern, repo);
}

function boolFilter(values: string[] | undefined, name: string): boolean | undefined {
  const v = values?.[0];
  if (v === undefined) return undefined;
  if (["true", "1"].includes(v.toLowerCase())) return true;
  if (["false", "0"].includes(v.toLowerCase())) return false;
  throw new InvalidArgumentError(`invalid filter '${name}=${v}'`);
}

/** An `until` filter (a timestamp, an RFC 3339 time or a duration back from now): images created before it. */
export function createdBefore(values: string[] | undefined): (img: LocalImage) => boolean {
  if (!values?.length) return () => true;
  const now = new Date();
  const limits = values.map((v) => Number(parseTimestamp(v, now) / 1_000_000n));
  return (img) => limits.every((t) => createdMs(img) < t);
}

/** `images` / GET /images/json: newest first; without `all`, the untagged images others were built on are left out. */
export function listImages(engine: Engine, req: { all?: boolean; filters?: Filters } = {}): ImageSummary[] {
  const filters = checkFilters(req.filters ?? new Map(), ["dangling", "reference", "label", "before", "since", "until"]);
  const dangling = boolFilter(filters.get("dangling"), "dangling");
  const all = engine.images.list();
  const parents = new Set(all.map((i) => i.record.parent).filter(Boolean));
  const at = (name: string) => createdMs(engine.images.get(name));
  const before = filters.get("before")?.map(at);
  const since = filters.get("since")?.map(at);
  const refs = filters.get("reference");
  const until = createdBefore(filters.get("until"));
  const out: ImageSummary[] = [];
  for (const img of [...all].sort((a, b) => createdMs(b) - createdMs(a))) {
    const isDangling = img.tags.length === 0;
    if (!req.all && isDangling && parents.has(img.record.id) && dangling === undefined) continue;
    if (dangling !== undefined && dangling !== isDangling) continue;
    const labels = img.config.config?.Labels ?? {};
    if (!(filters.get("label") ?? []).every((l) => labelMatches(labels, l))) continue;
    if (before?.some((t) => !(createdMs(img) < t)) || since?.some((t) => !(createdMs(img) > t)) || !until(img)) continue;
    let tags = img.tags;
    let digests = img.digests;
    if (refs) {
      // The daemon keeps only the names that match, so `images busybox` shows busybox rows alone.
      tags = tags.filter((t) => refs.some((p) => referenceMatches(p, t)));
      digests = digests.filter((d) => refs.some((p) => referenceMatches(p, d)));
      if (!tags.length && !digests.length) continue;
    }
    out.push({
      Id: img.record.id,
      ParentId: img.record.parent ?? "",
      RepoTags: tags.map(familiar),
      RepoDigests: digests.map(familiar),
      Created: Math.floor(createdMs(img) / 1000),
      Size: img.size,
      SharedSize: -1,
      VirtualSize: img.size,
      Labels: img.config.config?.Labels ?? null,
      Containers: -1,
    });
  }
  return out;
}

export interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

/** `history`: newest first, as GET /images/{name}/history answers. */
export function history(engine: Engine, name: string): HistoryItem[] {
  const img = engine.images.get(name);
  const parentOf = (id: string) => {
    try {
      return engine.images.load(id);
    } catch {
      return undefined;
    }
  };
  return imageHistory(img, (i) => engine.layers.get(img.record.layers[i]!).size, parentOf).map((h, i) => ({
    Id: h.id,
    Created: h.created ? Math.floor(Date.parse(h.created) / 1000) : 0,
    CreatedBy: h.createdBy,
    Tags: i === 0 && img.tags.length ? img.tags.map(familiar) : null,
    Size: h.size,
    Comment: h.comment,
  }));
}

export async function tagImage(engine: Engine, source: string, target: string): Promise<void> {
  await engine.images.tag(source, target);
}

/** `rmi`: Docker's rules; `noPrune` keeps the untagged parents an image was built on. */
export async function removeImage(engine: Engine, name: string, opts: { force?: boolean; noPrune?: boolean } = {}): Promise<RemoveReport> {
  return engine.images.remove(name, opts);
}
