import { closeSync, fstatSync, mkdirSync, openSync, readSync, renameSync, statSync, watch, writeSync } from "node:fs";
import { dirname } from "node:path";
import { decodeEvent, encodeEvent, fitEvent, makeEvent, type DockerEvent } from "./event.js";
import type { EventFilters } from "./filters.js";

// The per-user event log: <storage root>/events/events.log, one event per
// line in Docker's JSON (event.ts). There is no daemon to hold events in
// memory, so every writer appends to this file — CLIs, the API server, and
// each container's monitor (native/lib/events.c), which writes what happens
// while no skiff process runs (start, die, destroy, health_status).
//
// Writers: open with O_APPEND, one write(2) of one line of at most PIPE_BUF
// bytes, close. O_APPEND puts each write at the end of the file as a whole,
// so concurrent writers never interleave. The file is opened per event, never
// held, so that no writer keeps appending to a file that was rotated away.
//
// Rotation: a writer that leaves the file larger than the maximum renames it
// to events.log.1 (replacing the previous one), if the name still points at
// the file it wrote to. Readers read events.log.1, then events.log. A writer
// that opened the file just before another rotated it lands its line in
// events.log.1; a follower therefore keeps reading the previous file too
// until the next rotation.

export const DEFAULT_MAX_SIZE = 1 << 20;

export interface EventQuery {
  /** Unix nanoseconds; events at or after. */
  since?: bigint;
  /** Unix nanoseconds; events at or before. */
  until?: bigint;
  filters?: EventFilters;
}

/** A file being read: its inode, how far, and a line not yet complete. */
interface Reader {
  fd: number;
  ino: number;
  offset: number;
  partial: Buffer;
}

function openReader(path: string): Reader | undefined {
  try {
    const fd = openSync(path, "r");
    return { fd, ino: fstatSync(fd).ino, offset: 0, partial: Buffer.alloc(0) };
  } catch {
    return undefined;
  }
}

/** The complete lines added since the last call. */
function readLines(r: Reader): string[] {
  const lines: string[] = [];
  const chunk = Buffer.alloc(1 << 16);
  for (;;) {
    const n = readSync(r.fd, chunk, 0, chunk.length, r.offset);
    if (n <= 0) break;
    r.offset += n;
    let data = Buffer.concat([r.partial, chunk.subarray(0, n)]);
    let nl: number;
    while ((nl = data.indexOf(10)) >= 0) {
      lines.push(data.subarray(0, nl).toString());
      data = data.subarray(nl + 1);
    }
    r.partial = Buffer.from(data);
  }
  return lines;
}

function closeReader(r: Reader | undefined): void {
  if (r) closeSync(r.fd);
}

function inode(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

export class EventLog {
  private dirMade = false;

  constructor(
    readonly path: string,
    readonly maxSize = DEFAULT_MAX_SIZE,
  ) {}

  get previousPath(): string {
    return `${this.path}.1`;
  }

  /** Append one event (fitted to one line). Throws on I/O errors; see emit for the forgiving form. */
  append(e: DockerEvent): void {
    const line = Buffer.from(`${encodeEvent(fitEvent(e))}\n`);
    if (!this.dirMade) {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      this.dirMade = true;
    }
    const fd = openSync(this.path, "a", 0o600);
    try {
      writeSync(fd, line);
      const st = fstatSync(fd);
      if (st.size > this.maxSize && inode(this.path) === st.ino) renameSync(this.path, this.previousPath);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Record that something happened. An event that cannot be written (a full
   * disk, a storage root gone read-only) must not undo or fail what already
   * happened, so this never throws.
   */
  emit(type: string, action: string, id: string, attributes: Record<string, string> = {}): DockerEvent {
    const e = makeEvent(type, action, { ID: id, Attributes: attributes });
    try {
      this.append(e);
    } catch {
      /* see above */
    }
    return e;
  }

  /**
   * The previous and the current file, opened so that a rotation between the
   * two opens cannot hide a generation: the current one is opened first, and
   * if the previous one turns out to be that same file, both are opened again.
   */
  private openBoth(): { prev?: Reader; cur?: Reader } {
    for (;;) {
      const cur = openReader(this.path);
      const prev = openReader(this.previousPath);
      if (!cur || !prev || prev.ino !== cur.ino) return { prev, cur };
      closeReader(cur);
      closeReader(prev);
    }
  }

  /** Events already logged, oldest first, within the query's times and filters. */
  read(q: EventQuery = {}): DockerEvent[] {
    const out: DockerEvent[] = [];
    const { prev, cur } = this.openBoth();
    try {
      for (const r of [prev, cur]) {
        if (!r) continue;
        for (const line of readLines(r)) {
          const e = decodeEvent(line);
          if (e && wanted(e, q)) out.push(e);
        }
      }
    } finally {
      closeReader(prev);
      closeReader(cur);
    }
    return out;
  }

  /**
   * Docker's /events: with `since` or `until`, the logged events in that
   * range first; then, unless `until` has passed, new events as they are
   * written, until `until` or until `signal` aborts. Woken by the log's
   * directory changing (inotify), never by a timer.
   */
  async *follow(q: EventQuery & { signal?: AbortSignal } = {}): AsyncGenerator<DockerEvent> {
    const history = q.since !== undefined || q.until !== undefined;
    if (q.until !== undefined && q.until < BigInt(Date.now()) * 1_000_000n) {
      yield* this.read(q);
      return;
    }
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    let dirty = true;
    let wake: (() => void) | undefined;
    const poke = () => {
      dirty = true;
      wake?.();
    };
    const watcher = watch(dirname(this.path), poke);
    q.signal?.addEventListener("abort", poke);
    const nsNow = () => BigInt(Date.now()) * 1_000_000n;
    // One timer for the end of the range (a deadline, not a poll); armed
    // again should it fire before the wall clock has passed `until`.
    let deadline: NodeJS.Timeout | undefined;
    const arm = () => {
      if (q.until !== undefined) deadline = setTimeout(poke, Number((q.until - nsNow()) / 1_000_000n) + 1);
    };
    arm();
    let { prev, cur } = this.openBoth();
    try {
      // What is there now is history: shown only when asked for.
      for (const r of [prev, cur]) {
        if (!r) continue;
        for (const line of readLines(r)) {
          const e = decodeEvent(line);
          if (history && e && wanted(e, q)) yield e;
        }
      }
      const over = () => q.until !== undefined && nsNow() > q.until;
      while (!q.signal?.aborted && !over()) {
        if (!dirty) await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        dirty = false;
        for (;;) {
          for (const r of [prev, cur]) {
            if (!r) continue;
            for (const line of readLines(r)) {
              const e = decodeEvent(line);
              if (e && wanted(e, q)) yield e;
            }
          }
          const ino = inode(this.path);
          if (ino === undefined || ino === cur?.ino) break;
          // Rotated (or created). Usually the file we followed is the previous
          // one now, and late lines may still come to it. If it was rotated
          // twice since we looked, the previous file is a generation we have
          // not seen: it is read whole. (Three times would lose one: that takes
          // twice the maximum size written between two wake-ups.)
          const older = openReader(this.previousPath);
          if (cur && older && older.ino !== cur.ino && older.ino !== prev?.ino) {
            closeReader(prev);
            closeReader(cur);
            prev = older;
          } else {
            closeReader(older);
            if (cur) {
              closeReader(prev);
              prev = cur;
            }
          }
          cur = openReader(this.path);
        }
        if (q.until !== undefined && !over()) {
          clearTimeout(deadline);
          arm();
        }
      }
    } finally {
      watcher.close();
      clearTimeout(deadline);
      q.signal?.removeEventListener("abort", poke);
      closeReader(cur);
      closeReader(prev);
    }
  }
}

function wanted(e: DockerEvent, q: EventQuery): boolean {
  if (q.since !== undefined && e.timeNano < q.since) return false;
  if (q.until !== undefined && e.timeNano > q.until) return false;
  return !q.filters || q.filters.matches(e);
}
