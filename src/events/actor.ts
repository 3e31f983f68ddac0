import { renameSync, writeFileSync } from "node:fs";
import { fitEvent, goQuote, makeEvent, type EventActor } from "./event.js";

// The actor file skiff-monitor reads for every event it appends (the
// contract is in native/lib/events.h): line 1 "TYPE ID", then one JSON
// member `"key":"value"` per attribute, sorted by key. The attributes are
// fitted here, for the longest event the monitor will make of them, so that
// the C side only has to splice its own few attributes in.

/** The monitor's longest action and the attributes it adds, per kind of monitor. */
export const MONITOR_WORST_CASE = {
  container: { action: "health_status: unhealthy", extra: { exitCode: "-2147483648", execDuration: "9223372036" } },
  exec: { action: "exec_die", extra: { exitCode: "-2147483648" } },
};

export function actorFileText(type: string, actor: EventActor, worst: { action: string; extra: Record<string, string> }): string {
  const sample = makeEvent(type, worst.action, { ID: actor.ID, Attributes: { ...actor.Attributes, ...worst.extra } }, 1n << 62n);
  const fitted = fitEvent(sample).Actor.Attributes;
  const keys = Object.keys(fitted).filter((k) => !(k in worst.extra)).sort();
  return `${type} ${actor.ID}\n${keys.map((k) => `${goQuote(k)}:${goQuote(fitted[k]!)}\n`).join("")}`;
}

/** Replace the actor file at once (the monitor may read it at any moment). */
export function writeActorFile(path: string, type: string, actor: EventActor, worst: { action: string; extra: Record<string, string> }): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, actorFileText(type, actor, worst), { mode: 0o600 });
  renameSync(tmp, path);
}
