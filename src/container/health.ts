import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseGoDuration } from "../duration.js";
import { InvalidArgumentError } from "../errors.js";
import type { MonitorOptions } from "../runtime/launch.js";
import { formatRuntimeSpec, type RuntimeSpec } from "../runtime/spec-file.js";
import type { ContainerRecord, HealthConfig } from "./record.js";

export type { HealthConfig };

// Healthchecks: the configuration as Docker records it (Config.Healthcheck:
// the image's HEALTHCHECK under the run/create flags), what the container's
// monitor is told to run (native/lib/health.h does the running), and the
// state it leaves in the container's directory (State.Health).

export interface HealthResult {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

/** Docker's State.Health. */
export interface ContainerHealth {
  Status: "starting" | "healthy" | "unhealthy";
  FailingStreak: number;
  Log: HealthResult[];
}

/** The --health-* flags as typed. */
export interface HealthFlags {
  cmd?: string;
  interval?: string;
  timeout?: string;
  startPeriod?: string;
  startInterval?: string;
  retries?: string;
  noHealthcheck?: boolean;
}

// moby daemon/health.go
const DEFAULTS = { interval: 30e9, timeout: 30e9, startPeriod: 0, startInterval: 5e9, retries: 3 };
const MINIMUM = 1e6; // container.MinimumDuration, 1ms

function flagDuration(name: string, value: string | undefined): number {
  if (value === undefined || value === "") return 0;
  try {
    return parseGoDuration(value);
  } catch (e) {
    throw new InvalidArgumentError(`invalid argument ${JSON.stringify(value)} for "--${name}" flag: ${(e as Error).message}`, "use a Go duration such as 500ms, 30s or 1m30s");
  }
}

/** The docker CLI's reading of the flags (cli/command/container/opts.go). */
export function healthFromFlags(f: HealthFlags): HealthConfig | undefined {
  const interval = flagDuration("health-interval", f.interval);
  const timeout = flagDuration("health-timeout", f.timeout);
  const startPeriod = flagDuration("health-start-period", f.startPeriod);
  const startInterval = flagDuration("health-start-interval", f.startInterval);
  let retries = 0;
  if (f.retries !== undefined && f.retries !== "") {
    if (!/^[+-]?\d+$/.test(f.retries))
      throw new InvalidArgumentError(`invalid argument ${JSON.stringify(f.retries)} for "--health-retries" flag: strconv.ParseInt: parsing ${JSON.stringify(f.retries)}: invalid syntax`);
    retries = Number(f.retries);
  }
  const cmd = f.cmd ?? "";
  const any = cmd !== "" || interval !== 0 || timeout !== 0 || startPeriod !== 0 || retries !== 0 || startInterval !== 0;
  if (f.noHealthcheck) {
    if (any) throw new InvalidArgumentError("--no-healthcheck conflicts with --health-* options");
    return { Test: ["NONE"] };
  }
  if (!any) return undefined;
  for (const [name, v] of [["interval", interval], ["timeout", timeout], ["retries", retries], ["start-period", startPeriod], ["start-interval", startInterval]] as const)
    if (v < 0) throw new InvalidArgumentError(`--health-${name} cannot be negative`);
  const h: HealthConfig = {};
  if (cmd) h.Test = ["CMD-SHELL", cmd];
  if (interval) h.Interval = interval;
  if (timeout) h.Timeout = timeout;
  if (startPeriod) h.StartPeriod = startPeriod;
  if (startInterval) h.StartInterval = startInterval;
  if (retries) h.Retries = retries;
  return h;
}

/** The daemon's check of a requested healthcheck (moby daemon/container.go validateHealthCheck). */
export function validateHealthcheck(h: HealthConfig | undefined): void {
  if (!h) return;
  for (const [field, v] of [["Interval", h.Interval], ["Timeout", h.Timeout], ["StartPeriod", h.StartPeriod], ["StartInterval", h.StartInterval]] as const)
    if (v && v < MINIMUM) throw new InvalidArgumentError(`${field} in Healthcheck cannot be less than 1ms`);
  if ((h.Retries ?? 0) < 0) throw new InvalidArgumentError("Retries in Healthcheck cannot be negative");
}

/** What the container records: the request's fields, each unset one taken from the image (moby daemon/commit.go merge). */
export function mergeHealthcheck(user: HealthConfig | undefined, image: HealthConfig | undefined): HealthConfig | undefined {
  if (!user) return image && Object.keys(image).length ? { ...image } : undefined;
  if (!image) return { ...user };
  const out: HealthConfig = { ...user };
  if (!out.Test?.length && image.Test) out.Test = image.Test;
  for (const k of ["Interval", "Timeout", "StartPeriod", "StartInterval", "Retries"] as const) if (!out[k] && image[k]) out[k] = image[k];
  return out;
}

/** The probe's command and timing with Docker's defaults, or undefined when there is nothing to run (none, NONE). */
export function effectiveHealthcheck(r: ContainerRecord): { argv: string[]; interval: number; timeout: number; startPeriod: number; startInterval: number; retries: number } | undefined {
  const h = r.Config.Healthcheck;
  const test = h?.Test ?? [];
  let argv: string[];
  if (test[0] === "CMD") argv = test.slice(1);
  else if (test[0] === "CMD-SHELL") argv = [...(r.Config.Shell?.length ? r.Config.Shell : ["/bin/sh", "-c"]), ...test.slice(1)];
  else return undefined;
  if (!argv.length) return undefined;
  return {
    argv,
    interval: h!.Interval || DEFAULTS.interval,
    timeout: h!.Timeout || DEFAULTS.timeout,
    startPeriod: h!.StartPeriod || DEFAULTS.startPeriod,
    startInterval: h!.StartInterval || DEFAULTS.startInterval,
    retries: h!.Retries && h!.Retries > 0 ? h!.Retries : DEFAULTS.retries,
  };
}

/**
 * At a start: the probe's spec (the container's environment, user and
 * working directory, no terminal, not privileged, as Docker's exec of a
 * probe), and the monitor's health options; undefined without a healthcheck.
 */
export function monitorHealth(r: ContainerRecord, spec: RuntimeSpec, userdata: string): MonitorOptions["health"] {
  const h = effectiveHealthcheck(r);
  if (!h) return undefined;
  const file = join(userdata, "health-spec");
  writeFileSync(
    file,
    formatRuntimeSpec({ args: h.argv, env: spec.env, cwd: spec.cwd || "/", user: spec.user, capabilities: spec.capabilities, noNewPrivileges: spec.noNewPrivileges, tty: false }),
  );
  return { spec: file, interval: h.interval, timeout: h.timeout, startPeriod: h.startPeriod, startInterval: h.startInterval, retries: h.retries };
}

/** State.Health: present once a container with a healthcheck has been started. */
export function readHealth(dir: string, r: ContainerRecord): ContainerHealth | undefined {
  if (!effectiveHealthcheck(r)) return undefined;
  try {
    return JSON.parse(readFileSync(join(dir, "health"), "utf8")) as ContainerHealth;
  } catch {
    return undefined;
  }
}

/** `ps --filter health=…`: the status, or "none" without a healthcheck (or before the first start). */
export function healthFilterValue(health: ContainerHealth | undefined): string {
  return health?.Status ?? "none";
}

export const HEALTH_FILTER_VALUES = ["starting", "healthy", "unhealthy", "none"];
