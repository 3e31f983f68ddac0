import { diskUsage } from "../../engine/disk-usage.js";
import type { Engine } from "../../engine/engine.js";
import type { Route } from "../router.js";

// GET /system/df (moby's getDiskUsage): the engine's measure of images,
// containers, volumes and build cache; `type` (API 1.42) measures only
// some. BuilderSize is the field API clients before 1.42 read.

export function diskUsageRoutes(engine: Engine): Route[] {
  return [
    {
      method: "GET",
      path: "/system/df",
      handle: async (c) => {
        const types = c.versionAtLeast("1.42") ? c.query.strings("type") : [];
        const du = diskUsage(engine, { types });
        // What was not measured is null, as moby's struct without omitempty has it.
        c.send(200, {
          LayersSize: du.LayersSize ?? 0,
          Images: du.Images?.map(({ VirtualSize, ...i }) => (c.versionAtLeast("1.44") ? i : { ...i, VirtualSize })) ?? null,
          Containers: du.Containers ?? null,
          Volumes: du.Volumes ?? null,
          BuildCache: du.BuildCache ?? null,
          BuilderSize: 0,
        });
      },
    },
  ];
}
