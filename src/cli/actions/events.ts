import { SkiffError, InvalidArgumentError } from "../../errors.js";
import type { DockerEvent } from "../../events/event.js";
import { encodeEvent } from "../../events/event.js";
import { EventFilters } from "../../events/filters.js";
import { parseTimestamp } from "../../events/time.js";
import type { CliContext } from "../context.js";
import { goJSON, goType, Template, templateText } from "../../gotext/index.js";

// `events`: Docker's output (docker/cli cli/command/system/events.go). The
// default line is the time (RFC 3339 with nine fraction digits, local time),
// type, action, actor id and its attributes sorted by key; --format runs a
// template on the Go message struct (`json` gives the log's own line).
// Without --until it streams until interrupted; with a past --until it
// prints the range and ends.

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** Go's time.Unix(0, ns).Format("2006-01-02T15:04:05.000000000Z07:00") in local time. */
export function eventTime(ns: bigint): string {
  const d = new Date(Number(ns / 1_000_000n));
  const east = -d.getTimezoneOffset();
  const zone = east === 0 ? "Z" : `${east < 0 ? "-" : "+"}${pad(Math.trunc(Math.abs(east) / 60))}:${pad(Math.abs(east) % 60)}`;
  const frac = String(((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n).padStart(9, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${frac}${zone}`;
}

export function prettyEvent(e: DockerEvent): string {
  let line = `${e.timeNano ? `${eventTime(e.timeNano)} ` : ""}${e.Type} ${e.Action} ${e.Actor.ID}`;
  const keys = Object.keys(e.Actor.Attributes).sort();
  if (keys.length) line += ` (${keys.map((k) => `${k}=${e.Actor.Attributes[k]}`).join(", ")})`;
  return `${line}\n`;
}

/** The event as the Go struct templates see (events.Message), its JSON the log's line. */
function templateData(e: DockerEvent): object {
  return {
    [goType]: "*events.Message",
    [goJSON]: () => encodeEvent(e),
    Status: e.status ?? "",
    ID: e.id ?? "",
    From: e.from ?? "",
    Type: e.Type,
    Action: e.Action,
    Actor: { [goType]: "events.Actor", ID: e.Actor.ID, Attributes: new Map(Object.entries(e.Actor.Attributes)) },
    Scope: e.scope,
    Time: e.time,
    TimeNano: e.timeNano,
  };
}

function printer(format: string | undefined): (e: DockerEvent) => string {
  if (!format) return prettyEvent;
  let tmpl: Template;
  try {
    tmpl = Template.parse(templateText(format));
  } catch (e) {
    throw new SkiffError(`parsing format: ${(e as Error).message}`, { code: 64, hint: "see https://docs.docker.com/go/formatting/" });
  }
  // As the docker CLI does: a first run on an empty message finds fields that do not exist.
  const check = tmpl.run(templateData({ Type: "", Action: "", Actor: { ID: "", Attributes: {} }, scope: "", time: 0, timeNano: 0n }));
  if (check.error) throw new SkiffError(`parsing format: ${check.error.message}`, { code: 64, hint: "see https://docs.docker.com/go/formatting/" });
  return (e) => {
    const r = tmpl.run(templateData(e));
    if (r.error) throw new SkiffError(r.error.message);
    return `${r.output}\n`;
  };
}

export async function eventsCommand(ctx: CliContext, o: { since?: string; until?: string; filter?: string[]; format?: string }): Promise<void> {
  const filters = EventFilters.parse(o.filter ?? []);
  const now = new Date();
  const since = o.since ? parseTimestamp(o.since, now) : undefined;
  const until = o.until ? parseTimestamp(o.until, now) : undefined;
  if (since !== undefined && until !== undefined && until < since)
    throw new InvalidArgumentError(`\`since\` time (${o.since}) cannot be after \`until\` time (${o.until})`);
  const print = printer(o.format);
  const engine = await ctx.engine();
  const stop = new AbortController();
  const end = () => stop.abort();
  process.once("SIGINT", end);
  process.once("SIGTERM", end);
  // A reader that went away (`skiff events | head -1`) ends the stream.
  process.stdout.on("error", end);
  try {
    for await (const e of engine.events.follow({ since, until, filters, signal: stop.signal })) {
      if (!process.stdout.write(print(e)))
        await new Promise<void>((resolve) => {
          process.stdout.once("drain", resolve);
          stop.signal.addEventListener("abort", () => resolve(), { once: true });
        });
    }
  } finally {
    process.off("SIGINT", end);
    process.off("SIGTERM", end);
  }
}
