import { existsSync } from "node:fs";
import { MONITOR_WORST_CASE, writeActorFile } from "../events/actor.js";
import type { EventLog } from "../events/log.js";
import type { ContainerRecord } from "./record.js";

// A container as the actor of Docker's events (moby daemon/events.go
// LogContainerEventWithAttributes): the event's own attributes, then every
// label (labels win over them), then image (as the user named it) and name.

export function containerAttributes(r: ContainerRecord, extra: Record<string, string> = {}): Record<string, string> {
  return { ...extra, ...r.Config.Labels, ...(r.Config.Image ? { image: r.Config.Image } : {}), name: r.Name };
}

export function logContainerEvent(log: EventLog | undefined, r: ContainerRecord, action: string, extra?: Record<string, string>): void {
  log?.emit("container", action, r.Id, containerAttributes(r, extra));
}

/**
 * The actor file of a container's (or an exec session's) monitor, which
 * appends the events that happen while no skiff process runs. Written at
 * each start, and again when the container is renamed.
 */
export function writeMonitorActor(path: string, r: ContainerRecord, kind: "container" | "exec", extra?: Record<string, string>): void {
  writeActorFile(path, "container", { ID: r.Id, Attributes: containerAttributes(r, extra) }, MONITOR_WORST_CASE[kind]);
}

/** After a rename: the actor file of a running monitor, if there is one, names the container anew. */
export function renameMonitorActor(path: string, r: ContainerRecord): void {
  if (existsSync(path)) writeMonitorActor(path, r, "container");
}
