import type { Engine } from "../../engine/engine.js";
import { asSkiffError } from "../../errors.js";
import { parseFilterFlags } from "../../engine/filters.js";
import { history, listImages as imageList, removeImage, type ImageSummary } from "../../engine/images.js";
import { inspectImage } from "../../engine/inspect.js";
import { pruneImages as prune } from "../../engine/prune.js";
import { parseReference } from "../../image/reference.js";
import type { CliContext } from "../context.js";
import { ExitCode } from "../context.js";
import { ago, ellipsis, goTimeString, humanSize } from "../../gotext/index.js";
import { confirm, printInspect, printList } from "../output.js";
import { shortId } from "../../digest.js";

// What the image commands print, as the docker CLI prints the daemon's
// image summaries: one row per repository:tag (cli/command/formatter/image.go).

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

/** Repository and tag of a familiar name ("busybox:latest", "host:5000/a/b@sha256:…"). */
function split(name: string): { repo: string; tag?: string; digest?: string } {
  const ref = parseReference(name);
  return { repo: ref.familiarName(), tag: ref.tag, digest: ref.digest };
}

export function imageRows(images: ImageSummary[], trunc = true): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const img of images) {
    const when = new Date(img.Created * 1000);
    const base = {
      ID: trunc ? shortId(img.Id) : img.Id,
      CreatedSince: ago(when),
      CreatedAt: goTimeString(when),
      Size: humanSize(img.Size),
      Containers: "N/A",
      SharedSize: "N/A",
      UniqueSize: "N/A",
      VirtualSize: humanSize(img.VirtualSize),
    };
    const digestFor = (repo: string) => img.RepoDigests.map(split).find((r) => r.repo === repo)?.digest ?? "<none>";
    if (img.RepoTags.length) for (const t of img.RepoTags.map(split)) rows.push({ ...base, Repository: t.repo, Tag: t.tag ?? "<none>", Digest: digestFor(t.repo) });
    else if (img.RepoDigests.length) for (const d of img.RepoDigests.map(split)) rows.push({ ...base, Repository: d.repo, Tag: "<none>", Digest: d.digest ?? "<none>" });
    else rows.push({ ...base, Repository: "<none>", Tag: "<none>", Digest: "<none>" });
  }
  return rows;
}

export function listImages(engine: Engine, repo: string | undefined, opts: { all?: boolean; digests?: boolean; filter: string[]; format?: string; trunc?: boolean; quiet?: boolean }): void {
  const filters = parseFilterFlags(opts.filter);
  // `images REPO[:TAG]` is a reference filter, as the docker CLI sends it.
  if (repo) filters.set("reference", [...(filters.get("reference") ?? []), repo]);
  const rows = imageRows(imageList(engine, { all: opts.all, filters }), opts.trunc !== false);
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
      items.push(inspectImage(engine, n));
    } catch (e) {
      failed = true;
      process.stderr.write(`Error: ${asSkiffError(e).message}\n`);
    }
  }
  printInspect(items, format);
  if (failed) throw new ExitCode(1);
}

export function showHistory(engine: Engine, name: string, opts: { human: boolean; trunc?: boolean; quiet?: boolean; format?: string }): void {
  const iso = (d: Date) => d.toISOString().replace(/\.\d+Z$/, "Z");
  const rows = history(engine, name).map((h) => {
    const when = h.Created ? new Date(h.Created * 1000) : undefined;
    const createdBy = h.CreatedBy.replace(/\t/g, " ");
    return {
      ID: h.Id === "<missing>" ? h.Id : opts.trunc === false ? h.Id : shortId(h.Id),
      CreatedSince: when ? (opts.human ? ago(when) : iso(when)) : "N/A",
      CreatedAt: when ? iso(when) : "",
      CreatedBy: opts.trunc === false ? createdBy : ellipsis(createdBy, 45),
      Size: opts.human ? humanSize(h.Size) : String(h.Size),
      Comment: h.Comment,
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

export async function removeImages(engine: Engine, names: string[], opts: { force?: boolean; prune?: boolean }): Promise<number> {
  let status = 0;
  for (const n of names) {
    try {
      const r = await removeImage(engine, n, { force: opts.force, noPrune: opts.prune === false });
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
  const r = await prune(engine, { all: opts.all, filters: parseFilterFlags(opts.filter) });
  if (r.untagged.length || r.deleted.length) {
    process.stdout.write("Deleted Images:\n");
    for (const u of r.untagged) process.stdout.write(`untagged: ${u}\n`);
    for (const d of r.deleted) process.stdout.write(`deleted: ${d}\n`);
    process.stdout.write("\n");
  }
  process.stdout.write(`Total reclaimed space: ${humanSize(r.reclaimed)}\n`);
}
