import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { DockerEvent } from "../../../src/events/event.js";
import { EventFilters } from "../../../src/events/filters.js";
import { EventLog } from "../../../src/events/log.js";
import { loadBusybox } from "../../helpers/busybox.js";
import { SkiffEnv, isRoot } from "../../helpers/cli.js";

// Healthchecks run by each container's monitor, with short intervals; every
// wait is on the state change itself (a health_status event, or the state
// in inspect), with a generous deadline.

let env: SkiffEnv;
beforeAll(async () => {
  env = new SkiffEnv();
  // An image with its own HEALTHCHECK (100 ms interval), as a Dockerfile would record it.
  await loadBusybox(env, "checked:latest", [], { Healthcheck: { Test: ["CMD", "true"], Interval: 100_000_000, Retries: 2 } });
  await loadBusybox(env);
});
afterAll(() => env?.cleanup());

const nowNs = () => BigInt(Date.now()) * 1_000_000n;

/** The first health_status event of a container since `since`, for `status`. */
async function healthEvent(name: string, status: string, since: bigint): Promise<DockerEvent> {
  const log = new EventLog(join(env.storageRoot, "events", "events.log"));
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 30_000);
  try {
    for await (const e of log.follow({ since, filters: EventFilters.parse([`container=${name}`, `event=health_status: ${status}`]), signal: abort.signal })) return e;
  } finally {
    clearTimeout(timer);
  }
  throw new Error(`no health_status: ${status} for ${name}`);
}

async function health(name: string): Promise<{ Status: string; FailingStreak: number; Log: { Start: string; End: string; ExitCode: number; Output: string }[] }> {
  return JSON.parse(await env.ok(["inspect", "-f", "{{json .State.Health}}", name]));
}

/** Poll inspect until `ok` holds (the state is the event here), 30 s at most. */
async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  const end = Date.now() + 30_000;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`state not reached: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const statusLine = async (name: string) => (await env.ok(["ps", "--filter", `name=^${name}$`, "--format", "{{.Status}}"])).trim();

describe.skipIf(isRoot)("healthchecks", () => {
  test("a check that passes: healthy in inspect, ps and the events; Config.Healthcheck as given", async () => {
    const since = nowNs();
    await env.ok(["run", "-d", "--name", "hc-ok", "--health-cmd", "echo fine", "--health-interval", "100ms", "busybox", "sleep", "600"]);
    const e = await healthEvent("hc-ok", "healthy", since);
    expect(e).toMatchObject({ Type: "container", Action: "health_status: healthy", status: "health_status: healthy", Actor: { Attributes: { name: "hc-ok", image: "busybox" } } });
    const h = await health("hc-ok");
    expect(h.Status).toBe("healthy");
    expect(h.FailingStreak).toBe(0);
    expect(h.Log.length).toBeGreaterThanOrEqual(1);
    expect(h.Log.length).toBeLessThanOrEqual(5);
    expect(h.Log[0]).toMatchObject({ ExitCode: 0, Output: "fine\n" });
    expect(Date.parse(h.Log[0]!.End)).toBeGreaterThanOrEqual(Date.parse(h.Log[0]!.Start));
    expect(await statusLine("hc-ok")).toMatch(/^Up .* \(healthy\)$/);
    expect(JSON.parse(await env.ok(["inspect", "-f", "{{json .Config.Healthcheck}}", "hc-ok"]))).toEqual({ Test: ["CMD-SHELL", "echo fine"], Interval: 100_000_000 });
    expect((await env.ok(["ps", "--filter", "health=healthy", "--format", "{{.Names}}"])).split("\n")).toContain("hc-ok");
    // The log keeps the last five results.
    const full = await until(() => health("hc-ok"), (x) => x.Log.length === 5);
    expect(full.Log.every((r) => r.ExitCode === 0)).toBe(true);
    await env.ok(["rm", "-f", "hc-ok"]);
  });

  test("a check that fails becomes unhealthy after the retries, with its output and exit codes", async () => {
    const since = nowNs();
    await env.ok(["run", "-d", "--name", "hc-bad", "--health-cmd", "echo broken >&2; exit 2", "--health-interval", "100ms", "--health-retries", "3", "busybox", "sleep", "600"]);
    await healthEvent("hc-bad", "unhealthy", since);
    const h = await health("hc-bad");
    expect(h.Status).toBe("unhealthy");
    expect(h.FailingStreak).toBeGreaterThanOrEqual(3);
    expect(h.Log[0]).toMatchObject({ ExitCode: 2, Output: "broken\n" });
    expect(await statusLine("hc-bad")).toMatch(/^Up .* \(unhealthy\)$/);
    const unhealthy = (await env.ok(["ps", "--filter", "health=unhealthy", "--format", "{{.Names}}"])).trim().split("\n");
    expect(unhealthy).toContain("hc-bad");
    expect(unhealthy).not.toContain("hc-ok");
    await env.ok(["rm", "-f", "hc-bad"]);
  });

  test("a check that outlives its timeout is killed: exit code -1 and Docker's message", async () => {
    const since = nowNs();
    await env.ok(["run", "-d", "--name", "hc-slow", "--health-cmd", "echo waiting; sleep 30", "--health-interval", "100ms", "--health-timeout", "300ms", "--health-retries", "1", "busybox", "sleep", "600"]);
    await healthEvent("hc-slow", "unhealthy", since);
    const h = await until(() => health("hc-slow"), (x) => x.Log.length >= 3);
    expect(h.Log[0]).toMatchObject({ ExitCode: -1, Output: "Health check exceeded timeout (300ms): waiting\n" });
    expect(Date.parse(h.Log[0]!.End) - Date.parse(h.Log[0]!.Start)).toBeGreaterThanOrEqual(300);
    // Each probe was killed with its whole group: at most the current one's sleep is there, none piles up.
    const ps = await env.ok(["exec", "hc-slow", "ps"]);
    expect(ps.split("\n").filter((l) => l.includes("sleep 30")).length).toBeLessThanOrEqual(1);
    await env.ok(["rm", "-f", "hc-slow"]);
  });

  test("within the start period failures do not count; a restart begins again at starting", async () => {
    const sync = join(env.base, "work", "hc-sync");
    mkdirSync(sync, { recursive: true });
    await env.ok([
      "run", "-d", "--name", "hc-start", "-v", `${sync}:/sync`,
      "--health-cmd", "test -e /sync/ready", "--health-retries", "1", "--health-interval", "500ms",
      "--health-start-period", "1h", "--health-start-interval", "100ms",
      "busybox", "sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.05; done",
    ]);
    expect(await statusLine("hc-start")).toMatch(/^Up .* \(health: starting\)$/);
    // Three failures within the start period, and still starting with no streak.
    let h = await until(() => health("hc-start"), (x) => x.Log.length >= 3);
    expect(h.Status).toBe("starting");
    expect(h.FailingStreak).toBe(0);
    expect(h.Log.every((r) => r.ExitCode === 1)).toBe(true);
    expect((await env.ok(["ps", "--filter", "health=starting", "--format", "{{.Names}}"])).trim()).toBe("hc-start");
    const since = nowNs();
    writeFileSync(join(sync, "ready"), "");
    await healthEvent("hc-start", "healthy", since);
    await env.ok(["stop", "hc-start"]);
    // Stopped: the last status stays (as Docker's does), and ps shows no health.
    expect((await health("hc-start")).Status).toBe("healthy");
    expect(await env.ok(["ps", "-a", "--filter", "name=^hc-start$", "--format", "{{.Status}}"])).toMatch(/^Exited \(0\)/);
    rmSync(join(sync, "ready"));
    await env.ok(["start", "hc-start"]);
    h = await health("hc-start");
    expect(h.Status).toBe("starting");
    expect(h.FailingStreak).toBe(0);
    // The new run's first failures are again within its start period.
    h = await until(() => health("hc-start"), (x) => x.Log.length >= 2);
    expect(h.Status).toBe("starting");
    expect(h.Log.every((r) => r.ExitCode === 1)).toBe(true);
    await env.ok(["rm", "-f", "hc-start"]);
  });

  test("the image's HEALTHCHECK runs; flags override its fields; --no-healthcheck turns it off", async () => {
    const since = nowNs();
    await env.ok(["run", "-d", "--name", "hc-image", "checked", "sleep", "600"]);
    await healthEvent("hc-image", "healthy", since);
    expect(JSON.parse(await env.ok(["inspect", "-f", "{{json .Config.Healthcheck}}", "hc-image"]))).toEqual({ Test: ["CMD", "true"], Interval: 100_000_000, Retries: 2 });
    await env.ok(["create", "--name", "hc-merged", "--health-timeout", "5s", "checked"]);
    expect(JSON.parse(await env.ok(["inspect", "-f", "{{json .Config.Healthcheck}}", "hc-merged"]))).toEqual({ Test: ["CMD", "true"], Interval: 100_000_000, Timeout: 5_000_000_000, Retries: 2 });
    // Created, never started: no State.Health yet, and health=none.
    expect(await env.ok(["inspect", "-f", "{{json .State.Health}}", "hc-merged"])).toBe("null\n");
    await env.ok(["run", "-d", "--name", "hc-off", "--no-healthcheck", "checked", "sleep", "600"]);
    // Docker merges the image's other fields under NONE too.
    expect(JSON.parse(await env.ok(["inspect", "-f", "{{json .Config.Healthcheck}}", "hc-off"]))).toEqual({ Test: ["NONE"], Interval: 100_000_000, Retries: 2 });
    expect(await env.ok(["inspect", "-f", "{{json .State.Health}}", "hc-off"])).toBe("null\n");
    expect(await statusLine("hc-off")).toMatch(/^Up [^(]*$/);
    const none = (await env.ok(["ps", "-a", "--filter", "health=none", "--format", "{{.Names}}"])).trim().split("\n");
    expect(none).toEqual(expect.arrayContaining(["hc-off", "hc-merged"]));
    expect(none).not.toContain("hc-image");
    await env.ok(["rm", "-f", "hc-image", "hc-merged", "hc-off"]);
  });

  test("bad health flags are refused with Docker's words, and nothing is created", async () => {
    const bad = async (args: string[], message: RegExp) => {
      const r = await env.run(["create", "--name", "hc-refused", ...args, "busybox"]);
      expect(r.code).toBe(125);
      expect(r.stderr).toMatch(message);
    };
    await bad(["--health-interval", "often"], /invalid argument "often" for "--health-interval" flag: time: invalid duration "often"/);
    await bad(["--health-retries", "x"], /invalid argument "x" for "--health-retries" flag: strconv.ParseInt: parsing "x": invalid syntax/);
    await bad(["--no-healthcheck", "--health-cmd", "true"], /--no-healthcheck conflicts with --health-\* options/);
    await bad(["--health-timeout", "-1s"], /--health-timeout cannot be negative/);
    await bad(["--health-cmd", "true", "--health-interval", "500us"], /Interval in Healthcheck cannot be less than 1ms/);
    expect((await env.run(["inspect", "hc-refused"])).code).toBe(1);
    const filter = await env.run(["ps", "--filter", "health=fine"]);
    expect(filter.code).toBe(1);
    expect(filter.stderr).toMatch(/Unrecognised filter value for health: fine/);
  });
});
