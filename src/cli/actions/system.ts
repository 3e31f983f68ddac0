import type { Engine } from "../../engine/engine.js";
import { checkSystem, diskUsage } from "../../engine/disk-usage.js";
import { systemPrune as prune } from "../../engine/prune.js";
import { humanSize } from "../../gotext/index.js";
import { confirm, printList } from "../output.js";

// system check, df and prune.

export async function systemCheck(engine: Engine, opts: { repair?: boolean; quick?: boolean }): Promise<number> {
  const r = await checkSystem(engine, opts);
  process.stdout.write(`Checked ${r.blobs} blobs, ${r.layers} layers, ${r.images} images\n`);
  for (const p of r.problems) process.stdout.write(`${opts.repair ? "repaired" : "problem"}: ${p}\n`);
  if (r.leftovers.length) process.stdout.write(`${r.leftovers.length} leftover(s) of interrupted commands${opts.repair ? " removed" : " (removed by --repair)"}\n`);
  if (r.problems.length && !opts.repair) {
    process.stderr.write(`Error: the store has ${r.problems.length} problem(s)\nHint: run \`skiff system check --repair\` to remove what is broken, then pull or load those images again\n`);
    return 1;
  }
  if (!r.problems.length) process.stdout.write("No problems found\n");
  return 0;
}

interface DfRow {
  Type: string;
  TotalCount: string;
  Active: string;
  Size: string;
  Reclaimable: string;
}

export async function systemDf(engine: Engine, opts: { verbose?: boolean; format?: string }): Promise<void> {
  const u = diskUsage(engine);
  const pct = (part: number, whole: number) => (whole ? ` (${Math.round((part / whole) * 100)}%)` : "");
  const rows: DfRow[] = [
    { Type: "Images", TotalCount: String(u.images.total), Active: String(u.images.active), Size: humanSize(u.images.size), Reclaimable: humanSize(u.images.reclaimable) + pct(u.images.reclaimable, u.images.size) },
    { Type: "Containers", TotalCount: String(u.containers.total), Active: String(u.containers.active), Size: humanSize(u.containers.size), Reclaimable: humanSize(u.containers.reclaimable) + pct(u.containers.reclaimable, u.containers.size) },
    { Type: "Local Volumes", TotalCount: String(u.volumes.total), Active: String(u.volumes.active), Size: humanSize(u.volumes.size), Reclaimable: humanSize(u.volumes.reclaimable) + pct(u.volumes.reclaimable, u.volumes.size) },
    { Type: "Build Cache", TotalCount: "0", Active: "0", Size: "0B", Reclaimable: "0B" },
  ];
  printList(rows, {
    format: opts.format,
    defaultFormat: "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}",
    headers: { Type: "TYPE", TotalCount: "TOTAL", Active: "ACTIVE", Size: "SIZE", Reclaimable: "RECLAIMABLE" },
    rowType: "formatter.diskUsageContext",
  });
}

export async function systemPrune(engine: Engine, opts: { all?: boolean; force?: boolean; volumes?: boolean }): Promise<void> {
  if (!opts.force) {
    const lines = [
      "WARNING! This will remove:",
      "  - all stopped containers",
      ...(opts.volumes ? ["  - all anonymous volumes not used by at least one container"] : []),
      opts.all ? "  - all images without at least one container associated to them" : "  - all dangling images",
      "",
    ];
    process.stdout.write(lines.join("\n"));
    if (!(await confirm("Are you sure you want to continue?"))) return;
  }
  const r = await prune(engine, { all: opts.all, volumes: opts.volumes });
  if (r.containers.length) process.stdout.write(`Deleted Containers:\n${r.containers.join("\n")}\n\n`);
  if (r.volumes.length) process.stdout.write(`Deleted Volumes:\n${r.volumes.join("\n")}\n\n`);
  if (r.images.untagged.length || r.images.deleted.length) {
    process.stdout.write("Deleted Images:\n");
    for (const u of r.images.untagged) process.stdout.write(`untagged: ${u}\n`);
    for (const d of r.images.deleted) process.stdout.write(`deleted: ${d}\n`);
    process.stdout.write("\n");
  }
  process.stdout.write(`Total reclaimed space: ${humanSize(r.reclaimed)}\n`);
}
