import type { Engine } from "../../engine/engine.js";
import { InvalidArgumentError, asSkiffError } from "../../errors.js";
import { imageHistory, imageInspect } from "../../image/inspect.js";
import { parseReference } from "../../image/reference.js";
import { familiar, type LocalImage } from "../../image/service.js";
import type { CliContext } from "../context.js";
import { ExitCode } from "../context.js";
import { ago, ellipsis, goTimeString, humanSize } from "../../gotext/index.js";
import { confirm, printInspect, printList } from "../output.js";
import { globMatch, parseFilters } from "../options.js";
import { shortId } from "../../digest.js";

// What the image commands print, Docker's way.

const IMAGE_HEADERS = {
  Repository: "REPOSITORY",
  Tag: "TAG",
  ID: "IMAGE ID",
  Digest: "DIGEST",
  CreatedSince: "CREATED",
  CreatedAt: "CREATED AT",
  Size: "SIZE",
  Containers: "CONTAINERS",
  SharedSize: "SHARED SIZE",
  UniqueSize: "UNIQUE SIZE",
  VirtualSize: "VIRTUAL SIZE",
};

interface ImageRow {
  ID: string;
  Repository: string;
  Tag: string;
  Digest: string;
  CreatedSince: string;
  CreatedAt: string;
  Size: string;
  Containers: string;
  SharedSize: string;
  UniqueSize: string;
  VirtualSize: string;
}

function created(img: LocalImage): Date {
  const t = Date.parse(img.config.created ?? "");
  return Number.isNaN(t) ? new Date(0) : new Date(t);
}

function splitTag(name: string): { repo: string; tag: string } {
  const ref = parseReference(name);
  return { repo: ref.familiarName(), tag: ref.tag ?? "<none>" };
}

export function imageRows(images: LocalImage[], opts: { trunc?: boolean; repo?: string; filters?: string[] }): ImageRow[] {
  const filters = parseFilters(opts.filters ?? [], ["dangling", "reference", "label", "before", "since"]);
  const dangling = filters.get("dangling")?.[0];
  if (dangling !== undefined && !["true", "false", "1", "0"].includes(dangling))
    throw new InvalidArgumentError(`invalid filter 'dangling=${dangling}'`);
  const wantRepo = opts.repo ? parseReference(opts.repo) : undefined;
  const repoHasTag = opts.repo ? /:[^/]+$/.test(opts.repo) : false;
  const rows: (ImageRow & { when: number })[] = [];
  const sorted = [...images].sort((a, b) => created(b).getTime() - created(a).getTime());
  for (const img of sorted) {
    const isDangling = img.tags.length === 0;
    if (dangling === "true" || dangling === "1") {
      if (!isDangling) continue;
    } else if (dangling === "false" || dangling === "0") {
      if (isDangling) continue;
    }
    const labels = img.config.config?.Labels ?? {};
    if (filters.get("label")?.some((l) => {
      const [k, v] = l.split("=", 2);
      return !(k! in labels) || (v !== undefined && labels[k!] !== v);
    })) continue;
    const when = created(img);
    const base = {
      ID: opts.trunc === false ? img.record.id : shortId(img.record.id),
      CreatedSince: ago(when),
      CreatedAt: goTimeString(when),
      Size: humanSize(img.size),
      Containers: "N/A",
      SharedSize: "N/A",
      UniqueSize: "N/A",
      VirtualSize: humanSize(img.size),
      when: when.getTime(),
    };
    const digestFor = (repo: string) => {
      const d = img.digests.map((x) => parseReference(x)).find((r) => r.familiarName() === repo);
      return d?.digest ?? "<none>";
    };
    const names = img.tags.length ? img.tags : img.digests.length ? img.digests : [undefined];
    for (const name of names) {
      let row: ImageRow & { when: number };
      if (!name) row = { ...base, Repository: "<none>", Tag: "<none>", Digest: "<none>" };
      else {
        const ref = parseReference(name);
        row = { ...base, Repository: ref.familiarName(), Tag: ref.tag ?? "<none>", Digest: digestFor(ref.familiarName()) };
        if (wantRepo && (ref.repository() !== wantRepo.repository() || (repoHasTag && ref.tag !== wantRepo.tag))) continue;
      }
      if (wantRepo && !name) continue;
      const refs = filters.get("reference");
      if (refs && !refs.some((p) => name && (globMatch(p, familiar(name)) || globMatch(p, splitTag(name).repo)))) continue;
      rows.push(row);
    }
  }
  return rows.map(({ when: _w, ...r }) => r);
}

export function listImages(engine: Engine, repo: string | undefined, opts: { all?: boolean; digests?: boolean; filter: string[]; format?: string; trunc?: boolean; quiet?: boolean }): void {
  const all = engine.images.list();
  // Without -a, untagged images that others were built on (build intermediates) are hidden, as Docker does.
  const parents = new Set(all.map((i) => i.record.parent).filter(Boolean));
  const shown = opts.all ? all : all.filter((i) => i.tags.length > 0 || !parents.has(i.record.id));
  const rows = imageRows(shown, { trunc: opts.trunc, repo, filters: opts.filter });
  if (opts.quiet) {
    const seen = new Set<string>();
    for (const r of rows) if (!seen.has(r.ID)) seen.add(r.ID) && process.stdout.write(`${r.ID}\n`);
    return;
  }
  const defaultFormat = opts.digests
    ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
    : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
  printList(rows, { format: opts.format, defaultFormat, headers: IMAGE_HEADERS, rowType: "formatter.imageContext" });
}

export async function inspectImages(ctx: CliContext, names: string[], format?: string): Promise<void> {
  const engine = await ctx.engine();
  const items: unknown[] = [];
  let failed = false;
  for (const n of names) {
    try {
      const img = engine.images.get(n);
      items.push(imageInspect(img, engine.storageDriver, img.record.layers.map((l) => engine.layers.diffDir(l))));
    } catch (e) {
      failed = true;
      process.stderr.write(`Error: ${asSkiffError(e).message}\n`);
    }
  }
  printInspect(items, format);
  if (failed) throw new ExitCode(1);
}

export function showHistory(engine: Engine, name: string, opts: { human: boolean; trunc?: boolean; quiet?: boolean; format?: string }): void {
  const img = engine.images.get(name);
  const parentOf = (id: string) => {
    try {
      return engine.images.load(id);
    } catch {
      return undefined;
    }
  };
  const rows = imageHistory(img, (i) => engine.layers.get(img.record.layers[i]!).size, parentOf).map((h) => {
    const when = h.created ? new Date(h.created) : undefined;
    const createdBy = h.createdBy.replace(/\t/g, " ");
    return {
      ID: h.id === "<missing>" ? h.id : opts.trunc === false ? h.id : shortId(h.id),
      CreatedSince: when ? (opts.human ? ago(when) : when.toISOString().replace(/\.\d+Z$/, "Z")) : "N/A",
      CreatedAt: when ? when.toISOString().replace(/\.\d+Z$/, "Z") : "",
      CreatedBy: opts.trunc === false ? createdBy : ellipsis(createdBy, 45),
      Size: opts.human ? humanSize(h.size) : String(h.size),
      Comment: h.comment,
    };
  });
  if (opts.quiet) {
    for (const r of rows) process.stdout.write(`${r.ID}\n`);
    return;
  }
  printList(rows, {
    format: opts.format,
    defaultFormat: "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}",
    headers: { ID: "IMAGE", CreatedSince: "CREATED", CreatedAt: "CREATED AT", CreatedBy: "CREATED BY", Size: "SIZE", Comment: "COMMENT" },
    rowType: "formatter.historyContext",
  });
}

export async function removeImages(engine: Engine, names: string[], opts: { force?: boolean }): Promise<number> {
  let status = 0;
  for (const n of names) {
    try {
      const r = await engine.images.remove(n, opts);
      for (const u of r.untagged) process.stdout.write(`Untagged: ${u}\n`);
      for (const d of r.deleted) process.stdout.write(`Deleted: ${d}\n`);
    } catch (e) {
      process.stderr.write(`Error: ${asSkiffError(e).message}\n`);
      status = 1;
    }
  }
  return status;
}

export async function pruneImages(engine: Engine, opts: { all?: boolean; force?: boolean; filter: string[] }): Promise<void> {
  if (!opts.force) {
    const warning = opts.all
      ? "WARNING! This will remove all images without at least one container associated to them."
      : "WARNING! This will remove all dangling images.";
    process.stdout.write(`${warning}\n`);
    if (!(await confirm("Are you sure you want to continue?"))) return;
  }
  const r = await engine.images.prune({ all: opts.all });
  if (r.untagged.length || r.deleted.length) {
    process.stdout.write("Deleted Images:\n");
    for (const u of r.untagged) process.stdout.write(`untagged: ${u}\n`);
    for (const d of r.deleted) process.stdout.write(`deleted: ${d}\n`);
    process.stdout.write("\n");
  }
  process.stdout.write(`Total reclaimed space: ${humanSize(r.reclaimed)}\n`);
}
