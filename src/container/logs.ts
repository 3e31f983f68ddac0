import { closeSync, openSync, readSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { InvalidArgumentError } from "../errors.js";
import { waitFor } from "./signals.js";

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

/** Milliseconds since the epoch of an entry's RFC 3339 time (enough for --since/--until). */
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

/**
 * Read entries from `offset`; returns the offset after the last complete
 * line. Lines are cut on the newline byte before decoding, so a multi-byte
 * character split across two reads is never garbled and offsets stay byte
 * offsets.
 */
function readFrom(path: string, offset: number, each: (e: LogEntry) => void): number {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return offset;
  }
  try {
    const buf = Buffer.alloc(1 << 20);
    let pending = Buffer.alloc(0);
    let pos = offset;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n <= 0) break;
      pos += n;
      pending = pending.length ? Buffer.concat([pending, buf.subarray(0, n)]) : Buffer.from(buf.subarray(0, n));
      let start = 0;
      let nl: number;
      while ((nl = pending.indexOf(10, start)) >= 0) {
        const e = parseLine(pending.toString("utf8", start, nl));
        if (e) each(e);
        start = nl + 1;
      }
      pending = pending.subarray(start);
    }
    return pos - pending.length;
  } finally {
    closeSync(fd);
  }
}

/**
 * Emit log entries as `docker logs` does. With `follow`, keep reading what
 * is appended — woken by the file's directory changing, not by a timer —
 * until `running()` turns false and nothing more arrives, or `signal` aborts.
 */
export async function streamLogs(path: string, opts: LogOptions, emit: (e: LogEntry) => void, running: () => boolean, signal?: AbortSignal): Promise<void> {
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
  const dir = dirname(path);
  while (!signal?.aborted) {
    const wasRunning = running();
    let size = 0;
    try {
      size = statSync(path).size;
    } catch {
      return; // removed (--rm)
    }
    if (size > offset) offset = readFrom(path, offset, (e) => keep(e) && emit(e));
    else if (!wasRunning) return;
    else await waitFor(dir, 1000);
  }
}
