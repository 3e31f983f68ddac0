import { closeSync, openSync, readSync, statSync } from "node:fs";
import { InvalidArgumentError } from "../errors.js";

// Reading Docker's json-file logs (what the monitor writes): one JSON object
// per line, {"log":"…","stream":"stdout"|"stderr","time":"RFC3339Nano"}.

export interface LogEntry {
  log: string;
  stream: "stdout" | "stderr";
  time: string;
}

export interface LogOptions {
  since?: number;
  until?: number;
  tail?: number;
  follow?: boolean;
}

const DURATION = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/;
const UNIT: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Docker's --since/--until: RFC 3339 time, Unix seconds, or a Go duration before now ("10m", "1h30m"). */
export function parseLogTime(value: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  let rest = value;
  let ms = 0;
  let m: RegExpExecArray | null;
  while (rest && (m = DURATION.exec(rest))) {
    ms += Number(m[1]) * UNIT[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  if (!rest && value) return now - ms;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidArgumentError(`invalid value for "since"/"until": ${value}`, "use a time like 2024-01-02T15:04:05Z, Unix seconds, or a duration like 10m");
  return t;
}

/** Nanosecond-aware comparison key of an RFC3339Nano time (milliseconds are enough for filters). */
function timeOf(e: LogEntry): number {
  return Date.parse(e.time);
}

function parseLine(line: string): LogEntry | undefined {
  try {
    const v = JSON.parse(line) as LogEntry;
    return typeof v.log === "string" ? v : undefined;
  } catch {
    return undefined; // a line being written right now
  }
}

/** Read entries from `offset`; returns the offset after the last complete line. */
function readFrom(path: string, offset: number, each: (e: LogEntry) => void): number {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return offset;
  }
  try {
    const buf = Buffer.alloc(1 << 20);
    let pending = "";
    let pos = offset;
    let consumed = offset;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n <= 0) break;
      pos += n;
      pending += buf.toString("utf8", 0, n);
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl);
        consumed += Buffer.byteLength(line) + 1;
        pending = pending.slice(nl + 1);
        const e = parseLine(line);
        if (e) each(e);
      }
    }
    return consumed;
  } finally {
    closeSync(fd);
  }
}

/**
 * Emit log entries as `docker logs` does. With `follow`, keep reading what
 * is appended until `running()` turns false and nothing more arrives.
 */
export async function streamLogs(path: string, opts: LogOptions, emit: (e: LogEntry) => void, running: () => boolean): Promise<void> {
  const keep = (e: LogEntry) => (opts.since === undefined || timeOf(e) >= opts.since) && (opts.until === undefined || timeOf(e) <= opts.until);
  let entries: LogEntry[] = [];
  let offset = readFrom(path, 0, (e) => {
    if (!keep(e)) return;
    entries.push(e);
    if (opts.tail !== undefined && entries.length > opts.tail * 2 + 1024) entries = entries.slice(-opts.tail);
  });
  if (opts.tail !== undefined) entries = opts.tail === 0 ? [] : entries.slice(-opts.tail);
  for (const e of entries) emit(e);
  if (!opts.follow) return;
  for (;;) {
    const wasRunning = running();
    await new Promise((r) => setTimeout(r, 100));
    let size = 0;
    try {
      size = statSync(path).size;
    } catch {
      return; // removed (--rm)
    }
    if (size > offset) offset = readFrom(path, offset, (e) => keep(e) && emit(e));
    else if (!wasRunning) return;
  }
}
