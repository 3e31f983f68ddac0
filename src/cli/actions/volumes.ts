import { asSkiffError, InvalidArgumentError } from "../../errors.js";
import type { VolumeRecord } from "../../volume/store.js";
import { labelMatches } from "../../volume/service.js";
import { ExitCode, type CliContext } from "../context.js";
import { parseFilters } from "../options.js";
import { confirm, printInspect, printList } from "../output.js";

// What the volume commands print (Docker's CLI, cli/command/volume).

type Opts = Record<string, unknown>;

/** KEY=VALUE list → map; a bare KEY has the empty value (Docker's opts.ConvertKVStringsToMap). */
function keyValues(items: string[]): Record<string, string> | undefined {
  if (!items.length) return undefined;
  const out: Record<string, string> = {};
  for (const i of items) {
    const eq = i.indexOf("=");
    out[eq < 0 ? i : i.slice(0, eq)] = eq < 0 ? "" : i.slice(eq + 1);
  }
  return out;
}

export async function volumeCreateCommand(ctx: CliContext, name: string | undefined, o: Opts): Promise<void> {
  if (name && o.name && name !== o.name) throw new InvalidArgumentError(`conflicting options: either specify --name or provide positional arg, not both`);
  const engine = await ctx.engine();
  let v: VolumeRecord;
  try {
    v = engine.volumes.create({
      name: name ?? (o.name as string | undefined),
      driver: o.driver as string,
      // `volume create` always records its (maybe empty) labels and options: Docker shows {} rather than null.
      labels: keyValues(o.label as string[]) ?? {},
      options: keyValues(o.opt as string[]) ?? {},
    });
  } catch (e) {
    process.stderr.write(`Error response from daemon: ${asSkiffError(e).message}\n`);
    throw new ExitCode(1);
  }
  process.stdout.write(`${v.Name}\n`);
}

const HEADERS = {
  Name: "VOLUME NAME",
  Driver: "DRIVER",
  Scope: "SCOPE",
  Mountpoint: "MOUNTPOINT",
  Labels: "LABELS",
  Links: "LINKS",
  Size: "SIZE",
  Availability: "AVAILABILITY",
  Group: "GROUP",
  Status: "STATUS",
};

export async function volumeListCommand(ctx: CliContext, o: Opts): Promise<void> {
  const engine = await ctx.engine();
  const filters = parseFilters((o.filter as string[]) ?? [], ["name", "label", "dangling", "driver"]);
  const dangling = filters.get("dangling")?.map((d) => {
    if (["true", "1"].includes(d.toLowerCase())) return true;
    if (["false", "0"].includes(d.toLowerCase())) return false;
    throw new InvalidArgumentError(`invalid filter 'dangling=${d}'`);
  });
  const volumes = engine.volumes.list();
  const used = dangling ? engine.volumes.inUse() : new Set<string>();
  const keep = (v: VolumeRecord) =>
    (!filters.has("name") || filters.get("name")!.some((n) => v.Name.includes(n) || safeRegExp(n)?.test(v.Name))) &&
    (!filters.has("label") || filters.get("label")!.every((l) => labelMatches(v.Labels, l))) &&
    (!filters.has("driver") || filters.get("driver")!.includes(v.Driver)) &&
    (!dangling || dangling.some((d) => d === !used.has(v.Name)));
  const shown = volumes.filter(keep);
  if (o.quiet) {
    for (const v of shown) process.stdout.write(`${v.Name}\n`);
    return;
  }
  const rows = shown.map((v) => {
    const labels = v.Labels ?? {};
    return {
      Name: v.Name,
      Driver: v.Driver,
      Scope: "local",
      Mountpoint: engine.volumes.store.dataDir(v.Name),
      Labels: Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(","),
      Links: "N/A",
      Size: "N/A",
      Availability: "N/A",
      Group: "N/A",
      Status: "N/A",
      Label: (name: string) => labels[name] ?? "",
    };
  });
  printList(rows, { format: o.format as string | undefined, defaultFormat: "table {{.Driver}}\t{{.Name}}", headers: HEADERS, rowType: "formatter.volumeContext" });
}

function safeRegExp(s: string): RegExp | undefined {
  try {
    return new RegExp(s);
  } catch {
    return undefined;
  }
}

export async function volumeInspectCommand(ctx: CliContext, names: string[], o: Opts): Promise<void> {
  const engine = await ctx.engine();
  const items: unknown[] = [];
  let failed = false;
  for (const n of names) {
    try {
      items.push(engine.volumes.inspectOne(n));
    } catch (e) {
      failed = true;
      process.stderr.write(`Error response from daemon: ${asSkiffError(e).message}\n`);
    }
  }
  printInspect(items, o.format as string | undefined);
  if (failed) throw new ExitCode(1);
}

export async function volumeRemoveCommand(ctx: CliContext, names: string[], o: Opts): Promise<void> {
  const engine = await ctx.engine();
  let failed = false;
  for (const n of names) {
    try {
      await engine.volumes.remove(n, { force: Boolean(o.force) });
      process.stdout.write(`${n}\n`);
    } catch (e) {
      failed = true;
      process.stderr.write(`Error response from daemon: ${asSkiffError(e).message}\n`);
    }
  }
  if (failed) throw new ExitCode(1);
}

export async function volumePruneCommand(ctx: CliContext, o: Opts): Promise<void> {
  const filters = parseFilters((o.filter as string[]) ?? [], ["label", "all"]);
  const all = Boolean(o.all) || (filters.get("all") ?? []).some((a) => ["true", "1"].includes(a));
  if (!o.force) {
    process.stdout.write(`WARNING! This will remove ${all ? "all" : "anonymous"} local volumes not used by at least one container.\n`);
    if (!(await confirm("Are you sure you want to continue?"))) return;
  }
  const engine = await ctx.engine();
  const r = await engine.volumes.prune({ all, labels: filters.get("label") });
  if (r.removed.length) process.stdout.write(`Deleted Volumes:\n${r.removed.join("\n")}\n\n`);
  const { humanSize } = await import("../../gotext/index.js");
  process.stdout.write(`Total reclaimed space: ${humanSize(r.reclaimed)}\n`);
}
