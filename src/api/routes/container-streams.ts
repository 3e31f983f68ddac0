import { openAttach, resizeContainer } from "../../engine/attach.js";
import type { Engine } from "../../engine/engine.js";
import { checkWaitCondition, watchContainer } from "../../engine/lifecycle.js";
import { logText, openLogs } from "../../engine/logs.js";
import { openStats, type ContainerStats } from "../../engine/stats.js";
import { InvalidArgumentError } from "../../errors.js";
import type { ApiCall } from "../call.js";
import type { StreamSession } from "../hijack.js";
import { streamContentType } from "../hijack.js";
import type { Route } from "../router.js";
import { frame, STDERR, STDOUT } from "../stdcopy.js";

// The container endpoints that stream (moby daemon/server/router/container):
// attach (hijacked), wait, logs, stats, and resize, which reaches an attached
// terminal. wait, logs and stats send their headers at once: the docker CLI
// starts a container only once the headers of its wait have come.

/** Both of h and w, as Docker's resize endpoints require them. */
export function terminalSize(c: ApiCall): { rows: number; cols: number } {
  const rows = c.query.int("h");
  const cols = c.query.int("w");
  if (rows === undefined || cols === undefined || rows < 0 || cols < 0) throw new InvalidArgumentError("resize needs the terminal's height and width: ?h=ROWS&w=COLUMNS");
  return { rows, cols };
}

async function attach(engine: Engine, c: ApiCall): Promise<StreamSession> {
  const q = c.query;
  // A POST with options from docker-modem carries them in a body too; what follows the body is stdin.
  if (Number(c.header("content-length") ?? 0) > 0) await c.body();
  const a = openAttach(engine, c.param("name"), { stream: q.bool("stream"), logs: q.bool("logs"), stdin: q.bool("stdin"), stdout: q.bool("stdout"), stderr: q.bool("stderr") }, c.signal);
  return { tty: a.tty, stdin: a.stdin, stdout: a.stdout, stderr: a.stderr, exited: a.exited, clientGone: () => a.detach() };
}

/** Docker's stats JSON (moby api/types/container.StatsResponse); fields skiff cannot measure are left out, as Docker leaves networks out without a network. */
function statsJson(s: ContainerStats): Record<string, unknown> {
  const r = s.view.record;
  const up = s.view.state.Running;
  const cpu = (x: ContainerStats["cpu"]) =>
    up
      ? {
          cpu_usage: { total_usage: Math.round(x.totalNs), usage_in_kernelmode: Math.round(x.kernelNs), usage_in_usermode: Math.round(x.userNs) },
          system_cpu_usage: Math.round(x.systemNs),
          online_cpus: s.onlineCpus,
          throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
        }
      : { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } };
  return {
    name: `/${r.Name}`,
    id: r.Id,
    read: up ? new Date(s.cpu.at).toISOString() : "0001-01-01T00:00:00Z",
    preread: up ? new Date(s.precpu.at).toISOString() : "0001-01-01T00:00:00Z",
    pids_stats: up ? { current: s.pids } : {},
    blkio_stats: { io_service_bytes_recursive: null, io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null, io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpu(s.cpu),
    precpu_stats: cpu(s.precpu),
    memory_stats: up ? { usage: s.memoryBytes, stats: {}, limit: s.memoryLimitBytes } : {},
  };
}

export function containerStreamRoutes(engine: Engine): Route[] {
  const name = (c: ApiCall) => c.param("name");
  return [
    { method: "POST", path: "/containers/{name}/attach", hijack: (c) => attach(engine, c) },
    {
      method: "POST",
      path: "/containers/{name}/wait",
      handle: async (c) => {
        const w = watchContainer(engine, name(c), checkWaitCondition(c.query.string("condition")), c.signal);
        const res = c.longPoll();
        const { exitCode } = await w.done;
        res.end(`${JSON.stringify({ StatusCode: exitCode, Error: null })}\n`);
      },
    },
    {
      method: "POST",
      path: "/containers/{name}/resize",
      handle: async (c) => {
        const { rows, cols } = terminalSize(c);
        await resizeContainer(engine, name(c), rows, cols);
        c.sendStatus(200);
      },
    },
    {
      method: "GET",
      path: "/containers/{name}/logs",
      handle: async (c) => {
        const q = c.query;
        const stdout = q.bool("stdout");
        const stderr = q.bool("stderr");
        if (!stdout && !stderr) throw new InvalidArgumentError("Bad parameters: you must choose at least one stream");
        const logs = openLogs(engine, name(c), { since: q.string("since"), until: q.string("until"), tail: q.string("tail"), follow: q.bool("follow") });
        const timestamps = q.bool("timestamps");
        // The same media type as an attach to the container would get (moby's rule for logs too).
        const res = c.longPoll(streamContentType(logs.tty, c.apiVersion, true));
        await logs.read((e) => {
          if (!(e.stream === "stderr" ? stderr : stdout)) return;
          const text = Buffer.from(logText(e, timestamps));
          res.write(logs.tty ? text : frame(e.stream === "stderr" ? STDERR : STDOUT, text));
        }, c.signal);
        res.end();
      },
    },
    {
      method: "GET",
      path: "/containers/{name}/stats",
      handle: async (c) => {
        const stream = c.query.bool("stream", true);
        // one-shot: a single reading without a previous one to compare with (no wait).
        const interval = stream ? 1000 : c.query.bool("one-shot") ? 0 : 500;
        const stats = openStats(engine, name(c));
        if (!stream) return c.send(200, statsJson(await stats.read(interval)));
        const res = c.longPoll();
        for (;;) {
          const s = await stats.read(interval);
          if (c.signal.aborted) return;
          res.write(`${JSON.stringify(statsJson(s))}\n`);
          if (!s.view.state.Running) break;
        }
        res.end();
      },
    },
  ];
}
