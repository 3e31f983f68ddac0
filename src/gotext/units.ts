// The human units Docker prints, from docker/go-units (size.go, duration.go)
// and the daemon's container status line (moby daemon/container/state.go).

import { quote } from "./gofmt.js";
import { formatFloat } from "./gonum.js";
import { ellipsis } from "./width.js";

const DECIMAL = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
const BINARY = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];

function scaled(size: number, base: number, units: string[]): [number, string] {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return [size, units[i]!];
}

/**
 * go-units' HumanSizeWithPrecision: decimal units and `%.<precision>g`, so
 * "1.23MB", "4.1kB", "123B", "0B" — and "1e+03kB" for 999,950 bytes, as Docker.
 * Docker's ps and images columns use precision 3; go-units' HumanSize uses 4.
 */
export function humanSize(bytes: number, precision = 3): string {
  const [n, unit] = scaled(bytes, 1000, DECIMAL);
  return formatFloat(n, "g", precision) + unit;
}

/** go-units' BytesSize: binary units, 4 significant digits ("44KiB", "17MiB"). */
export function bytesSize(bytes: number): string {
  const [n, unit] = scaled(bytes, 1024, BINARY);
  return formatFloat(n, "g", 4) + unit;
}

/** go-units' HumanDuration, for a duration in milliseconds. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return "Less than a second";
  if (seconds === 1) return "1 second";
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return "About a minute";
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / 3_600_000 + 0.5);
  if (hours === 1) return "About an hour";
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / 3_600_000) / 24 / 365)} years`;
}

const millis = (t: Date | number) => (typeof t === "number" ? t : t.getTime());

/** "3 minutes ago": Docker's CREATED column for images and containers. */
export function ago(when: Date | number, now: Date | number = Date.now()): string {
  return `${humanDuration(millis(now) - millis(when))} ago`;
}

export interface ContainerStateView {
  running?: boolean;
  paused?: boolean;
  restarting?: boolean;
  removing?: boolean;
  dead?: boolean;
  exitCode?: number;
  /** Unset (or 0) when the container never started. */
  startedAt?: Date | number;
  finishedAt?: Date | number;
  /** Health status when the container has a healthcheck. */
  health?: "starting" | "healthy" | "unhealthy";
}

/** The daemon's STATUS text: "Up 2 hours (healthy)", "Exited (0) 3 days ago", "Created". */
export function containerStatus(s: ContainerStateView, now: Date | number = Date.now()): string {
  const since = (t: Date | number | undefined) => humanDuration(millis(now) - millis(t ?? now));
  if (s.running) {
    if (s.paused) return `Up ${since(s.startedAt)} (Paused)`;
    if (s.restarting) return `Restarting (${s.exitCode ?? 0}) ${since(s.finishedAt)} ago`;
    if (s.health) return `Up ${since(s.startedAt)} (${s.health === "starting" ? "health: starting" : s.health})`;
    return `Up ${since(s.startedAt)}`;
  }
  if (s.removing) return "Removal In Progress";
  if (s.dead) return "Dead";
  if (!s.startedAt) return "Created";
  if (!s.finishedAt) return "";
  return `Exited (${s.exitCode ?? 0}) ${since(s.finishedAt)} ago`;
}


/**
 * The daemon's one-line command: path and arguments, arguments containing a
 * space wrapped in single quotes (moby daemon/container/view.go).
 */
export function containerCommand(path: string, args: readonly string[] = []): string {
  if (args.length === 0) return path;
  return `${path} ${args.map((a) => (a.includes(" ") ? `'${a}'` : a)).join(" ")}`;
}

/** The COMMAND column: cut to 20 columns unless --no-trunc, then Go-quoted. */
export function commandColumn(command: string, truncate = true): string {
  return quote(truncate ? ellipsis(command, 20) : command);
}
