import { posix } from "node:path";
import { InvalidArgumentError, NotFoundError } from "../errors.js";
import type { ContainerRecord, MountSpec } from "../container/record.js";
import { volumeNameOf } from "./names.js";

// Which mounts a container really has: its own, then those it takes with
// --volumes-from (Docker copies the source's mount points, its own
// --volumes-from ones included, and a destination the container names
// itself wins). Volume mounts carry their resolved volume name.

export interface ResolvedMount extends MountSpec {
  /** The volume's name, for Type volume. */
  VolumeName?: string;
  /** Mounted from another container (never removed with this one). */
  From?: string;
}

/** Finds a container record by name, id or id prefix (NotFoundError otherwise). */
export type RecordLookup = (input: string) => ContainerRecord;

/** Docker's --volumes-from value: CONTAINER[:ro|rw]. */
export function parseVolumesFrom(spec: string): { container: string; mode?: "ro" | "rw" } {
  const i = spec.lastIndexOf(":");
  if (i < 0) return { container: spec };
  const mode = spec.slice(i + 1);
  if (mode !== "ro" && mode !== "rw") throw new InvalidArgumentError(`invalid mode: ${mode}`);
  return { container: spec.slice(0, i), mode };
}

/**
 * With `strict` (at creation) a --volumes-from container must exist; later
 * a missing one is passed over, its mount points having been copied into
 * the record when the container was created (VolumeService.prepare).
 */
export function resolveMounts(record: ContainerRecord, lookup: RecordLookup, strict = true, seen: Set<string> = new Set()): ResolvedMount[] {
  seen.add(record.Id);
  const out: ResolvedMount[] = record.Mounts.map((m) => (m.Type === "volume" ? { ...m, VolumeName: volumeNameOf(record, m) } : { ...m }));
  for (const spec of record.HostConfig.VolumesFrom ?? []) {
    const { container, mode } = parseVolumesFrom(spec);
    let source: ContainerRecord;
    try {
      source = lookup(container);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      if (!strict) continue;
      throw new NotFoundError(`No such container: ${container}`);
    }
    if (seen.has(source.Id)) continue;
    for (const m of resolveMounts(source, lookup, false, new Set(seen))) {
      if (m.Type === "tmpfs") continue;
      const at = out.findIndex((o) => o.Destination === m.Destination);
      const same = out[at];
      // Docker's order: -v and --mount, then --volumes-from, then the image's VOLUMEs.
      if (same && same.Anonymous && !same.From && imageVolume(record, same.Destination)) {
        out[at] = { ...m, ReadOnly: mode === undefined ? m.ReadOnly : mode === "ro", Anonymous: false, From: m.From ?? source.Id };
        continue;
      }
      if (same) {
        // The record's copy of this mount point, made at creation: still the source's volume.
        if (same.Type === "volume" && same.VolumeName === m.VolumeName) same.From ??= m.From ?? source.Id;
        continue;
      }
      out.push({ ...m, ReadOnly: mode === undefined ? m.ReadOnly : mode === "ro", Anonymous: false, From: m.From ?? source.Id });
    }
  }
  return out;
}

function imageVolume(record: ContainerRecord, destination: string): boolean {
  return Object.keys(record.Config?.Volumes ?? {}).some((v) => posix.normalize(v).replace(/(.)\/+$/, "$1") === destination);
}
