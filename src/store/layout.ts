import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

// The on-disk layout of a store (DESIGN.md §4). Everything that is being
// written lives first under tmp/, named after the writing process, and is
// renamed into place when complete; so whatever a kill -9 leaves behind is
// under tmp/ and belongs to a dead process, and `system check` can tell.

export class StoreLayout {
  readonly blobs: string;
  readonly layers: string;
  readonly images: string;
  readonly containers: string;
  readonly volumes: string;
  readonly tmp: string;
  readonly locks: string;

  constructor(readonly root: string) {
    this.blobs = join(root, "blobs", "sha256");
    this.layers = join(root, "layers");
    this.images = join(root, "images");
    this.containers = join(root, "containers");
    this.volumes = join(root, "volumes");
    this.tmp = join(root, "tmp");
    this.locks = join(root, "locks");
  }

  ensure(): this {
    for (const d of [this.blobs, this.layers, this.images, this.containers, this.volumes, this.tmp, this.locks])
      mkdirSync(d, { recursive: true, mode: 0o700 });
    return this;
  }

  /** A fresh path under tmp/ tagged with our pid and start time. */
  tempPath(label: string): string {
    return join(this.tmp, `${process.pid}-${ownStartTime()}-${label}-${randomBytes(4).toString("hex")}`);
  }

  /** Entries under tmp/ whose writing process is gone. */
  abandonedTemps(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.tmp);
    } catch {
      return [];
    }
    return names.filter((n) => {
      const [pid, start] = n.split("-");
      return !(pid && start && processStartTime(Number(pid)) === start);
    }).map((n) => join(this.tmp, n));
  }

  removeAbandonedTemps(): number {
    const gone = this.abandonedTemps();
    for (const p of gone) rmSync(p, { recursive: true, force: true });
    return gone.length;
  }
}

export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[0] === "Z" ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

let startTime: string | undefined;
function ownStartTime(): string {
  return (startTime ??= processStartTime(process.pid) ?? "0");
}
