// Docker's event message (moby api/types/events.Message), the one shape that
// the event log stores, `skiff events` prints and the API's /events streams.
// `status`, `id` and `from` are the legacy fields Docker still fills for
// container and image events (API < 1.52); compose v1 and docker-py read them.
//
// timeNano needs 63 bits: it is a bigint here, never a float.

export interface EventActor {
  ID: string;
  Attributes: Record<string, string>;
}

export interface DockerEvent {
  status?: string;
  id?: string;
  from?: string;
  Type: string;
  Action: string;
  Actor: EventActor;
  scope: string;
  /** Unix seconds. */
  time: number;
  /** Unix nanoseconds. */
  timeNano: bigint;
}

let last = 0n;

/**
 * Wall-clock nanoseconds, strictly increasing within this process (so the
 * order of one writer's events survives a sort by time). Node has only a
 * millisecond wall clock; the sub-millisecond part comes from the monotonic
 * clock, which keeps it within the same millisecond.
 */
export function nowNanos(): bigint {
  const ms = BigInt(Date.now());
  const sub = BigInt(Math.floor((performance.now() % 1) * 1e6));
  const t = ms * 1_000_000n + sub;
  last = t > last ? t : last + 1n;
  return last;
}

/** An event as Docker's daemon logs it (moby daemon/events Events.Log). */
export function makeEvent(type: string, action: string, actor: EventActor, timeNano: bigint = nowNanos()): DockerEvent {
  const e: DockerEvent = { Type: type, Action: action, Actor: actor, scope: "local", time: Number(timeNano / 1_000_000_000n), timeNano };
  if (type === "container" || type === "image") {
    const legacy: Partial<DockerEvent> = { status: action, id: actor.ID };
    if (type === "container" && actor.Attributes.image) legacy.from = actor.Attributes.image;
    return { ...legacy, ...e };
  }
  return e;
}

/** A string as Go's encoding/json writes it without HTML escaping (the `json` template function's setting). */
export function goQuote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c < 0x20 || c === 0x2028 || c === 0x2029) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else if (c >= 0xd800 && c <= 0xdfff) {
      // A lone surrogate is invalid UTF-8 to Go, which writes U+FFFD for it.
      const pair = c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
      if (pair) out += s[i]! + s[++i]!;
      else out += "\ufffd";
    } else out += s[i]!;
  }
  return `${out}"`;
}

function encodeAttributes(a: Record<string, string>): string {
  // Go marshals a map with its keys sorted.
  const keys = Object.keys(a).sort();
  return `{${keys.map((k) => `${goQuote(k)}:${goQuote(a[k]!)}`).join(",")}}`;
}

/**
 * The event as one line of JSON, byte for byte what the docker CLI prints
 * for `--format '{{json .}}'`: Go's field order, omitempty fields left out.
 */
export function encodeEvent(e: DockerEvent): string {
  let s = "{";
  if (e.status) s += `"status":${goQuote(e.status)},`;
  if (e.id) s += `"id":${goQuote(e.id)},`;
  if (e.from) s += `"from":${goQuote(e.from)},`;
  s += `"Type":${goQuote(e.Type)},"Action":${goQuote(e.Action)},`;
  s += `"Actor":{"ID":${goQuote(e.Actor.ID)},"Attributes":${encodeAttributes(e.Actor.Attributes)}}`;
  if (e.scope) s += `,"scope":${goQuote(e.scope)}`;
  if (e.time) s += `,"time":${e.time}`;
  if (e.timeNano) s += `,"timeNano":${e.timeNano}`;
  return `${s}}`;
}

/** One line of the log back into an event; undefined for anything else (a torn or foreign line). */
export function decodeEvent(line: string): DockerEvent | undefined {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const actor = v.Actor as EventActor | undefined;
  if (typeof v.Type !== "string" || typeof v.Action !== "string" || !actor || typeof actor.ID !== "string") return undefined;
  // JSON.parse would round timeNano to a double: take its digits from the text.
  const at = line.lastIndexOf('"timeNano":');
  const digits = at < 0 ? undefined : /^\d+/.exec(line.slice(at + 11))?.[0];
  const timeNano = digits ? BigInt(digits) : BigInt(Number(v.time) || 0) * 1_000_000_000n;
  const e: DockerEvent = {
    Type: v.Type,
    Action: v.Action,
    Actor: { ID: actor.ID, Attributes: { ...(actor.Attributes ?? {}) } },
    scope: typeof v.scope === "string" ? v.scope : "local",
    time: Number(v.time) || Number(timeNano / 1_000_000_000n),
    timeNano,
  };
  const legacy: Partial<DockerEvent> = {};
  if (typeof v.status === "string") legacy.status = v.status;
  if (typeof v.id === "string") legacy.id = v.id;
  if (typeof v.from === "string") legacy.from = v.from;
  return { ...legacy, ...e };
}

/**
 * The longest line a writer may append. Lines of at most PIPE_BUF bytes are
 * what every writer (CLIs, the API server, monitors in C) keeps to, so that
 * no reader or writer anywhere ever has to reason about a torn line.
 */
export const LINE_MAX = 4096;

/** Attributes that say what happened; labels go first when a line is too long. */
const ESSENTIAL = new Set(["name", "image", "exitCode", "execDuration", "signal", "execID", "oldName", "imageID", "imageRef", "driver", "container", "destination", "type"]);

/**
 * The event, made to fit in one LINE_MAX line with its newline: the longest
 * non-essential attributes (labels) are dropped first, and only if that is
 * not enough are values cut short.
 */
export function fitEvent(e: DockerEvent): DockerEvent {
  const size = (x: DockerEvent) => Buffer.byteLength(encodeEvent(x)) + 1;
  if (size(e) <= LINE_MAX) return e;
  const attrs = { ...e.Actor.Attributes };
  // The legacy `from` repeats the image attribute: it shrinks with it.
  const out = (): DockerEvent => ({ ...e, ...(e.from !== undefined ? { from: attrs.image ?? e.from } : {}), Actor: { ID: e.Actor.ID, Attributes: { ...attrs } } });
  const byLength = (keys: string[]) => keys.sort((a, b) => b.length + (attrs[b]?.length ?? 0) - (a.length + (attrs[a]?.length ?? 0)));
  for (const k of byLength(Object.keys(attrs).filter((k) => !ESSENTIAL.has(k)))) {
    delete attrs[k];
    if (size(out()) <= LINE_MAX) return out();
  }
  for (const k of byLength(Object.keys(attrs))) {
    const over = size(out()) - LINE_MAX;
    if (over <= 0) break;
    attrs[k] = attrs[k]!.slice(0, Math.max(0, attrs[k]!.length - over - 6));
  }
  return out();
}
