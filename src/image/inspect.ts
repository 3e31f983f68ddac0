import { familiar, type LocalImage } from "./service.js";
import type { HistoryEntry } from "./types.js";

// `docker image inspect`'s JSON shape (Engine API ImageInspect), from a
// stored image. Field order follows Docker's so diffs against docker output
// stay readable.

export function imageInspect(img: LocalImage, storageDriver: string, layerDirs: string[], upperDir?: string): Record<string, unknown> {
  const c = img.config;
  return {
    Id: img.record.id,
    RepoTags: img.tags.map(familiar),
    RepoDigests: img.digests.map(familiar),
    Parent: img.record.parent ?? "",
    Comment: c.history?.at(-1)?.comment ?? "",
    Created: c.created ?? "0001-01-01T00:00:00Z",
    DockerVersion: (c as { docker_version?: string }).docker_version ?? "",
    Author: c.author ?? "",
    Config: {
      Hostname: "",
      Domainname: "",
      User: c.config?.User ?? "",
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      ExposedPorts: c.config?.ExposedPorts,
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Env: c.config?.Env ?? null,
      Cmd: c.config?.Cmd ?? null,
      Healthcheck: c.config?.Healthcheck,
      Image: "",
      Volumes: c.config?.Volumes ?? null,
      WorkingDir: c.config?.WorkingDir ?? "",
      Entrypoint: c.config?.Entrypoint ?? null,
      OnBuild: c.config?.OnBuild ?? null,
      Labels: c.config?.Labels ?? null,
      StopSignal: c.config?.StopSignal,
      Shell: c.config?.Shell,
    },
    Architecture: c.architecture,
    Variant: c.variant,
    Os: c.os,
    Size: img.size,
    GraphDriver: {
      Data: { LowerDir: layerDirs.slice(0, -1).reverse().join(":") || undefined, UpperDir: upperDir ?? layerDirs.at(-1) },
      Name: storageDriver,
    },
    RootFS: { Type: "layers", Layers: c.rootfs.diff_ids },
    Metadata: { LastTagTime: img.record.loaded },
    // skiff extras (Docker clients ignore unknown keys).
    ManifestDigest: img.record.manifestDigest,
    ManifestMediaType: img.record.manifestMediaType,
  };
}

export interface HistoryRow {
  id: string;
  created?: string;
  createdBy: string;
  size: number;
  comment: string;
}

/**
 * `docker history`: newest first; the image id on the top row, and below it
 * the ids of the images it was built on while they are still stored (a build
 * step's parent has one history entry less), <missing> for the rest.
 */
export function imageHistory(img: LocalImage, layerSize: (i: number) => number, parentOf?: (id: string) => LocalImage | undefined): HistoryRow[] {
  const history: HistoryEntry[] = img.config.history ?? img.config.rootfs.diff_ids.map(() => ({}));
  let layer = 0;
  const rows: HistoryRow[] = history.map((h) => {
    const empty = h.empty_layer === true;
    const size = empty ? 0 : layerSize(layer++);
    return { id: "<missing>", created: h.created, createdBy: h.created_by ?? "", size, comment: h.comment ?? "" };
  });
  rows.reverse();
  if (rows[0]) rows[0].id = img.record.id;
  let at: LocalImage | undefined = img;
  for (let i = 1; at?.record.parent && parentOf && i < rows.length; i++) {
    const parent = parentOf(at.record.parent);
    if (!parent || (parent.config.history ?? []).length !== rows.length - i) break;
    rows[i]!.id = parent.record.id;
    at = parent;
  }
  return rows;
}
