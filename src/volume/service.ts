import { SkiffError } from "../errors.js";
import type { ContainerRecord } from "../container/record.js";
import type { SpecMount } from "../runtime/spec-file.js";
import { existsSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";

// Volumes: named and anonymous volumes under <storage>/volumes/<name>/_data,
// and bind mounts. (Named volumes are filled in by the volumes work.)

export interface VolumeUsage {
  total: number;
  active: number;
  size: number;
  reclaimable: number;
}

export class VolumeService {
  /** Runtime mounts for a container's Mounts (creating volumes it names on first use). */
  async mountsFor(record: ContainerRecord): Promise<SpecMount[]> {
    const out: SpecMount[] = [];
    for (const m of record.Mounts) {
      if (m.Type === "tmpfs") {
        out.push({ destination: m.Destination, type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", ...m.Options, ...(m.ReadOnly ? ["ro"] : [])] });
        continue;
      }
      if (m.Type === "volume") throw new SkiffError(`volume mounts are not available yet (${m.Destination})`, { hint: `use a bind mount: -v /host/dir:${m.Destination}` });
      const source = resolve(m.Source);
      // -v creates a missing host directory, as Docker does.
      if (!existsSync(source)) mkdirSync(source, { recursive: true });
      out.push({ destination: m.Destination, type: "bind", source, options: ["rbind", ...(m.ReadOnly ? ["ro"] : [])] });
    }
    return out;
  }

  /** Host paths of the container's anonymous volumes (removed with rm -v / --rm). */
  anonymousPaths(_record: ContainerRecord): string[] {
    return [];
  }

  async inspect(_name: string): Promise<unknown> {
    return undefined;
  }

  async prune(): Promise<{ removed: string[]; reclaimed: number }> {
    return { removed: [], reclaimed: 0 };
  }

  usage(): VolumeUsage {
    return { total: 0, active: 0, size: 0, reclaimable: 0 };
  }
}
