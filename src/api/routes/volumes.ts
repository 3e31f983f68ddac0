import type { Engine } from "../../engine/engine.js";
import { inspectVolume } from "../../engine/inspect.js";
import { createVolume, listVolumes, pruneVolumes, removeVolume } from "../../engine/volumes.js";
import type { Route } from "../router.js";

// The volume endpoints (moby daemon/server/router/volume). compose 1.29
// inspects a volume by name and creates it with its labels when missing,
// then compares the labels on every later `up`: they must come back as
// given.

const CREATE_SHAPE = { Name: "string", Driver: "string", DriverOpts: { "*": "string" }, Labels: { "*": "string" } } as const;

interface VolumeCreateBody {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

export function volumeRoutes(engine: Engine): Route[] {
  return [
    { method: "GET", path: "/volumes", handle: async (c) => c.send(200, { Volumes: listVolumes(engine, c.query.filters()), Warnings: [] }) },
    {
      method: "POST",
      path: "/volumes/create",
      handle: async (c) => {
        const body = (await c.json<VolumeCreateBody>(CREATE_SHAPE)) ?? {};
        const v = createVolume(engine, { name: body.Name || undefined, driver: body.Driver || undefined, labels: body.Labels ?? undefined, options: body.DriverOpts ?? undefined });
        c.send(201, v);
      },
    },
    {
      method: "POST",
      path: "/volumes/prune",
      handle: async (c) => {
        const filters = c.query.filters();
        // Before API 1.42 a prune took named volumes too (moby adds all=true for old clients).
        if (!c.versionAtLeast("1.42")) filters.set("all", ["true"]);
        const r = await pruneVolumes(engine, filters);
        c.send(200, { VolumesDeleted: r.removed.length ? r.removed : null, SpaceReclaimed: r.reclaimed });
      },
    },
    { method: "GET", path: "/volumes/{name}", handle: async (c) => c.send(200, inspectVolume(engine, c.param("name"))) },
    {
      method: "DELETE",
      path: "/volumes/{name}",
      handle: async (c) => {
        await removeVolume(engine, c.param("name"), { force: c.query.bool("force") });
        c.sendStatus(204);
      },
    },
  ];
}
