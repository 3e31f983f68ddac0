import type { Engine } from "../../engine/engine.js";
import { checkSystem, diskUsage, type DiskUsage } from "../../engine/disk-usage.js";
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

/** go-units' HumanSize, which the docker CLI's df uses: four significant digits ("2.025MB"), where `images` shows three. */
const size = (bytes: number) => humanSize(bytes, 4);

/** "5kB (100%)": Docker's reclaimable column, the share truncated to a whole percent as Go's integer division does. */
function reclaimable(part: number, whole: number): string {
  return whole > 0 ? `${size(part)} (${Math.trunc((part * 100) / whole)}%)` : size(part);
}

/** The docker CLI's summary table (cli/command/formatter/disk_usage.go), from the daemon's answer. */
export function diskUsageRows(u: DiskUsage): DfRow[] {
  const images = u.Images ?? [];
  const containers = u.Containers ?? [];
  const volumes = u.Volumes ?? [];
  const layers = u.LayersSize ?? 0;
  // Docker counts only what in-use images hold alone as used.
  const imagesUsed = images.filter((i) => i.Containers > 0 && i.Size !== -1 && i.SharedSize !== -1).reduce((n, i) => n + i.Size - i.SharedSize, 0);
  const active = (c: { State: string }) => ["running", "paused", "restarting"].includes(c.State);
  const ctrSize = containers.reduce((n, c) => n + (c.SizeRw ?? 0), 0);
  const ctrIdle = containers.filter((c) => !active(c)).reduce((n, c) => n + (c.SizeRw ?? 0), 0);
  const sized = volumes.filter((v) => v.UsageData.Size !== -1);
  const volSize = sized.reduce((n, v) => n + v.UsageData.Size, 0);
  const volIdle = sized.filter((v) => v.UsageData.RefCount === 0).reduce((n, v) => n + v.UsageData.Size, 0);
  return [
    { Type: "Images", TotalCount: String(images.length), Active: String(images.filter((i) => i.Containers > 0).length), Size: size(layers), Reclaimable: reclaimable(layers - imagesUsed, layers) },
    { Type: "Containers", TotalCount: String(containers.length), Active: String(containers.filter(active).length), Size: size(ctrSize), Reclaimable: reclaimable(ctrIdle, ctrSize) },
    { Type: "Local Volumes", TotalCount: String(volumes.length), Active: String(volumes.filter((v) => v.UsageData.RefCount > 0).length), Size: size(volSize), Reclaimable: reclaimable(volIdle, volSize) },
    { Type: "Build Cache", TotalCount: String(u.BuildCache?.length ?? 0), Active: "0", Size: "0B", Reclaimable: "0B" },
  ];
}

export async function systemDf(engine: Engine, opts: { verbose?: boolean; format?: string }): Promise<void> {
  printList(diskUsageRows(diskUsage(engine)), {
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
