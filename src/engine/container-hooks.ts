import { join } from "node:path";
import { resolveUser } from "../runtime/user.js";
import type { ContainerHooks } from "../container/service.js";
import type { Engine } from "./engine.js";

// What containers need from the rooms beside them — volumes and networking —
// wired here, the one place that knows them all.

export function containerHooks(engine: Engine): ContainerHooks {
  return {
    mounts: (record) =>
      engine.volumes.mountsFor(record, {
        rootfs: join(engine.containers.store.dir(record.Id), "merged"),
        // The same lookup the container's process gets: its upper dir, then the image's layers from the top.
        user: () =>
          resolveUser(record.Config.User, [join(engine.containers.store.dir(record.Id), "upper"), ...[...record.Layers].reverse().map((l) => engine.layers.diffDir(l))]),
      }),
    network: (record, userdata) => engine.network.prepare(record, userdata),
    check: (record) => void engine.network.check(record),
    anonymousVolumePaths: (record) => engine.volumes.anonymousPaths(record),
    removed: (record) => engine.network.release(record),
  };
}
