import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { processStartTime } from "../store/layout.js";
import type { ContainerRecord } from "./record.js";

// A container's state is derived, never stored by the CLI: from the files
// its monitor writes (pid, exit, monitor.pid, restart-count) and whether
// those processes still live. A CLI killed at any moment therefore leaves
// nothing stale behind to disagree with reality.

export type Status = "created" | "running" | "paused" | "restarting" | "exited" | "dead" | "removing";

export interface ContainerState {
  Status: Status;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  RestartCount: number;
  /** The monitor's pid while it lives. */
  MonitorPid: number;
}

const ZERO_TIME = "0001-01-01T00:00:00Z";

function readWords(path: string): string[] | undefined {
  try {
    return readFileSync(path, "utf8").trim().split(/\s+/);
  } catch {
    return undefined;
  }
}

function alive(words: string[] | undefined): number {
  if (!words) return 0;
  const pid = Number(words[0]);
  return pid > 0 && processStartTime(pid) === words[1] ? pid : 0;
}

export function readState(dir: string, record: ContainerRecord): ContainerState {
  const pidFile = readWords(join(dir, "pid"));
  const exitFile = readWords(join(dir, "exit"));
  const monitorPid = alive(readWords(join(dir, "monitor.pid")));
  const initPid = alive(pidFile);
  const restartCount = Number(readWords(join(dir, "restart-count"))?.[0] ?? 0) || 0;
  let startError = "";
  try {
    startError = readFileSync(join(dir, "start-error"), "utf8").trim();
  } catch {
    /* none */
  }
  const s: ContainerState = {
    Status: "created",
    Running: false,
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: false,
    Pid: 0,
    ExitCode: 0,
    Error: startError,
    StartedAt: pidFile?.[2] ?? ZERO_TIME,
    FinishedAt: exitFile?.[1] ?? ZERO_TIME,
    RestartCount: restartCount,
    MonitorPid: monitorPid,
  };
  const stopRequested = existsSync(join(dir, "stop-requested"));
  if (exitFile) {
    s.ExitCode = Number(exitFile[0]) || 0;
    const policy = record.HostConfig.RestartPolicy;
    const willRestart = monitorPid > 0 && !stopRequested && policy.Name !== "no" &&
      (policy.Name !== "on-failure" || (s.ExitCode !== 0 && (policy.MaximumRetryCount === 0 || restartCount < policy.MaximumRetryCount)));
    s.Status = willRestart ? "restarting" : "exited";
    s.Restarting = willRestart;
    return s;
  }
  if (initPid) {
    s.Pid = initPid;
    s.Running = true;
    s.Paused = existsSync(join(dir, "paused"));
    s.Status = s.Paused ? "paused" : "running";
    return s;
  }
  if (pidFile) {
    // Started, gone, and no one recorded how: the monitor itself was killed.
    s.Status = monitorPid ? "running" : "exited";
    s.Running = monitorPid > 0;
    s.ExitCode = monitorPid ? 0 : 255;
    if (!monitorPid) s.Error = s.Error || "the container's monitor was killed before the container exited";
    return s;
  }
  return s;
}
