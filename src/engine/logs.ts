import { InvalidArgumentError } from "../errors.js";
import { parseLogTime, streamLogs, type LogEntry } from "../container/logs.js";
import type { Engine } from "./engine.js";

// `logs`: a container's json-file log, as Docker reads it (since, until,
// tail, follow). Opening checks the request and tells whether the container
// has a terminal (the API frames output without one); reading sends entries
// to `emit` and settles when the log is read (or, following, when the
// container has stopped and nothing more comes, or the caller aborts).

export interface LogsRequest {
  /** RFC 3339, Unix seconds or a Go duration before now, as Docker takes them. */
  since?: string;
  until?: string;
  /** A number of lines, or "all". */
  tail?: string;
  follow?: boolean;
}

export interface OpenedLogs {
  tty: boolean;
  read(emit: (e: LogEntry) => void, signal?: AbortSignal): Promise<void>;
}

export function openLogs(engine: Engine, name: string, req: LogsRequest): OpenedLogs {
  const view = engine.containers.get(name);
  const tail = req.tail === undefined || req.tail === "" || req.tail === "all" ? undefined : Number(req.tail);
  if (tail !== undefined && !(tail >= 0)) throw new InvalidArgumentError(`invalid value for --tail: ${String(req.tail)}`);
  // Docker's "0" for since/until means "not given".
  const time = (v?: string) => (v && v !== "0" ? parseLogTime(v) : undefined);
  const opts = { since: time(req.since), until: time(req.until), tail, follow: Boolean(req.follow) };
  const running = () => {
    try {
      return engine.containers.view(view.record.Id).state.Running;
    } catch {
      return false;
    }
  };
  return {
    tty: view.record.Config.Tty,
    read: (emit, signal) => streamLogs(engine.containers.logPath(view.record.Id), opts, emit, running, signal),
  };
}

/** An entry as `logs` shows it: the text, after its time with --timestamps (the API's timestamps=1). */
export function logText(e: LogEntry, timestamps: boolean): string {
  return timestamps ? `${e.time} ${e.log}` : e.log;
}

export type { LogEntry };
