import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { NotFoundError } from "../errors.js";
import { writeJsonAtomic } from "../store/atomic.js";
import type { StoreLayout } from "../store/layout.js";

// Volumes on disk: volumes/<name>/volume.json (what `volume inspect` shows,
// written atomically) and volumes/<name>/_data (what containers mount), as
// Docker's local driver lays them out. A volume appears by renaming a
// complete directory into place, so two CLIs creating the same name at once
// end with one volume and neither sees a half-made one.

export interface VolumeRecord {
  Name: string;
  /** RFC 3339 in local time, as Docker writes it. */
  CreatedAt: string;
  Driver: "local";
  Labels: Record<string, string> | null;
  Options: Record<string, string> | null;
}

export class VolumeStore {
  constructor(readonly layout: StoreLayout) {}

  dir(name: string): string {
    return join(this.layout.volumes, name);
  }

  /** The directory containers mount (Docker's Mountpoint). */
  dataDir(name: string): string {
    return join(this.dir(name), "_data");
  }

  private metaPath(name: string): string {
    return join(this.dir(name), "volume.json");
  }

  has(name: string): boolean {
    return existsSync(this.metaPath(name));
  }

  read(name: string): VolumeRecord {
    try {
      return JSON.parse(readFileSync(this.metaPath(name), "utf8")) as VolumeRecord;
    } catch {
      throw new NotFoundError(`get ${name}: no such volume`);
    }
  }

  names(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.layout.volumes);
    } catch {
      return [];
    }
    return names.filter((n) => this.has(n));
  }

  list(): VolumeRecord[] {
    const out: VolumeRecord[] = [];
    for (const n of this.names()) {
      try {
        out.push(this.read(n));
      } catch {
        /* removed meanwhile */
      }
    }
    return out;
  }

  /** Create the volume unless it exists; `created` tells which happened. */
  create(record: VolumeRecord): { record: VolumeRecord; created: boolean } {
    if (this.has(record.Name)) return { record: this.read(record.Name), created: false };
    const tmp = this.layout.tempPath("volume");
    mkdirSync(join(tmp, "_data"), { recursive: true, mode: 0o755 });
    writeJsonAtomic(join(tmp, "volume.json"), record);
    try {
      renameSync(tmp, this.dir(record.Name));
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      const code = (e as NodeJS.ErrnoException).code;
      if ((code === "EEXIST" || code === "ENOTEMPTY") && this.has(record.Name)) return { record: this.read(record.Name), created: false };
      throw e;
    }
    return { record, created: true };
  }

  /**
   * Take the volume out of sight (renamed under tmp/) and return where it
   * went; the caller deletes that tree inside the namespace, where the
   * files that containers wrote can be removed.
   */
  moveOut(name: string): string {
    const trash = this.layout.tempPath("deleted-volume");
    renameSync(this.dir(name), trash);
    rmSync(this.lockPath(name), { force: true });
    return trash;
  }

  /** The file of the lock held while the volume is filled. */
  lockPath(name: string): string {
    return join(this.layout.locks, `${lockName(name)}.lock`);
  }
}

/** The store lock held while a volume is being filled (LockService names its file <name>.lock). */
export function lockName(volume: string): string {
  return `volume-${volume}`;
}

/** Go's time.Format(time.RFC3339) of the local time: 2024-01-02T03:04:05+01:00, or …Z in UTC. */
export function rfc3339Local(d: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  const off = -d.getTimezoneOffset();
  const zone = off === 0 ? "Z" : `${off > 0 ? "+" : "-"}${p(Math.floor(Math.abs(off) / 60))}:${p(Math.abs(off) % 60)}`;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}${zone}`;
}
