import type { ContainerHooks } from "../container/service.js";
import type { Engine } from "./engine.js";

// What containers need from the rooms beside them — volumes and networking —
// wired here, the one place that knows them all.

export function containerHooks(engine: Engine): ContainerHooks {
  return {
    mounts: (record) => engine.volumes.mountsFor(record),
    network: (record, userdata) => engine.network.prepare(record, userdata),
    anonymousVolumePaths: (record) => engine.volumes.anonymousPaths(record),
    removed: (record) => engine.network.release(record),
  };
}
