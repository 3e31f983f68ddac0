import { asSkiffError, InvalidArgumentError } from "../../errors.js";
import { parseFilterFlags } from "../../engine/filters.js";
import { inspectVolume } from "../../engine/inspect.js";
import { createVolume, listVolumes, pruneVolumes, removeVolume } from "../../engine/volumes.js";
import { humanSize } from "../../gotext/index.js";
import { ExitCode, type CliContext } from "../context.js";
import { confirm, printInspect, printList } from "../output.js";

// What the volume commands print (Docker's CLI, cli/command/volume).

type Opts = Record<string, unknown>;

/** KEY=VALUE list → map; a bare KEY has the empty value (Docker's opts.ConvertKVStringsToMap). */
function keyValues(items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of items) {
    const eq = i.indexOf("=");
    out[eq < 0 ? i : i.slice(0, eq)] = eq < 0 ? "" : i.slice(eq + 1);
  }
  return out;
}

/** Run `fn` on each name, printing Docker's per-item errors; exit 1 if any failed. */
async function each(names: string[], fn: (name: string) => Promise<void> | void): Promise<void> {
  let failed = false;
  for (const n of names) {
    try {
      await fn(n);
    } catch (e) {
      failed = true;
      process.stderr.write(`Error response from daemon: ${asSkiffError(e).message}\n`);
    }
  }
  if (failed) throw new ExitCode(1);
}

export async function volumeCreateCommand(ctx: CliContext, name: string | undefined, o: Opts): Promise<void> {
  if (name && o.name && name !== o.name) throw new InvalidArgumentError(`conflicting options: either specify --name or provide positional arg, not both`);
  const engine = await ctx.engine();
  await each([name ?? (o.name as string | undefined) ?? ""], (n) => {
    // `volume create` always records its (maybe empty) labels and options: Docker shows {} rather than null.
    const v = createVolume(engine, { name: n || undefined, driver: o.driver as string, labels: keyValues(o.label as string[]), options: keyValues(o.opt as string[]) });
    process.stdout.write(`${v.Name}\n`);
  });
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
  const volumes = listVolumes(await ctx.engine(), parseFilterFlags((o.filter as string[]) ?? []));
  if (o.quiet) {
    for (const v of volumes) process.stdout.write(`${v.Name}\n`);
    return;
  }
  const rows = volumes.map((v) => {
    const labels = v.Labels ?? {};
    return {
      Name: v.Name,
      Driver: v.Driver,
      Scope: v.Scope,
      Mountpoint: v.Mountpoint,
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

export async function volumeInspectCommand(ctx: CliContext, names: string[], o: Opts): Promise<void> {
  const engine = await ctx.engine();
  const items: unknown[] = [];
  try {
    await each(names, (n) => {
      items.push(inspectVolume(engine, n));
    });
  } finally {
    printInspect(items, o.format as string | undefined);
  }
}

export async function volumeRemoveCommand(ctx: CliContext, names: string[], o: Opts): Promise<void> {
  const engine = await ctx.engine();
  await each(names, async (n) => {
    await removeVolume(engine, n, { force: Boolean(o.force) });
    process.stdout.write(`${n}\n`);
  });
}

export async function volumePruneCommand(ctx: CliContext, o: Opts): Promise<void> {
  const filters = parseFilterFlags((o.filter as string[]) ?? []);
  const all = Boolean(o.all) || (filters.get("all") ?? []).some((a) => ["true", "1"].includes(a));
  if (!o.force) {
    process.stdout.write(`WARNING! This will remove ${all ? "all" : "anonymous"} local volumes not used by at least one container.\n`);
    if (!(await confirm("Are you sure you want to continue?"))) return;
  }
  const r = await pruneVolumes(await ctx.engine(), filters, all);
  if (r.removed.length) process.stdout.write(`Deleted Volumes:\n${r.removed.join("\n")}\n\n`);
  process.stdout.write(`Total reclaimed space: ${humanSize(r.reclaimed)}\n`);
}
