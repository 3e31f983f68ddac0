import { join } from "node:path";
import { resolveUser } from "../runtime/user.js";
import type { ContainerHooks } from "../container/service.js";
import type { NetworkService } from "../network/service.js";
import type { VolumeService } from "../volume/service.js";

// What containers need from the rooms beside them — volumes and networking —
// wired by the engine, the one place that knows them all. The services come
// as getters: the container service exists before they are first used.

export interface HookServices {
  volumes: () => VolumeService;
  network: () => NetworkService;
  /** A container's directory in the store. */
  containerDir: (id: string) => string;
  /** A layer's extracted tree, by chain id. */
  diffDir: (chainId: string) => string;
}

export function containerHooks(s: HookServices): ContainerHooks {
  return {
    mounts: (record) =>
      s.volumes().mountsFor(record, {
        rootfs: join(s.containerDir(record.Id), "merged"),
        // The same lookup the container's process gets: its upper dir, then the image's layers from the top.
        user: () => resolveUser(record.Config.User, [join(s.containerDir(record.Id), "upper"), ...[...record.Layers].reverse().map(s.diffDir)]),
      }),
    network: (record, userdata) => s.network().prepare(record, userdata),
    check: (record) => s.network().check(record),
    anonymousVolumePaths: (record) => s.volumes().anonymousPaths(record),
    removed: (record) => s.network().release(record),
  };
}
