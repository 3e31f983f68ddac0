import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SkiffEnv, isRoot } from "../../helpers/cli.js";
import { loadBusybox } from "../../helpers/busybox.js";

// create/start/stop/kill/restart/rm/ps/wait/rename/pause/inspect/top/prune
// and restart policies, against real containers.

let env: SkiffEnv;
beforeAll(async () => {
  env = new SkiffEnv();
  await loadBusybox(env);
});
afterAll(() => env?.cleanup());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(fn: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await sleep(50);
  }
  throw new Error("condition not reached");
}
const status = async (name: string) => (await env.ok(["inspect", "-f", "{{.State.Status}}", name])).trim();

describe.skipIf(isRoot)("container lifecycle", () => {
  test("create, start, ps columns, stop escalates to SIGKILL, rm", async () => {
    const id = (await env.ok(["create", "--name", "life", "busybox", "sleep", "60"])).trim();
    expect(id).toMatch(/^[a-f0-9]{64}$/);
    expect(await status("life")).toBe("created");
    const psa = (await env.ok(["ps", "-a"])).split("\n");
    expect(psa[0]).toMatch(/^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/);
    expect(psa.find((l) => l.includes("life"))).toMatch(new RegExp(`^${id.slice(0, 12)}\\s+busybox\\s+"sleep 60"\\s+.*ago\\s+Created\\s+life$`));
    expect(await env.ok(["start", "life"])).toBe("life\n");
    expect(await status("life")).toBe("running");
    expect((await env.ok(["ps", "--format", "{{.Names}} {{.State}}"])).trim().split("\n")).toContain("life running");
    const t0 = Date.now();
    expect(await env.ok(["stop", "-t", "1", "life"])).toBe("life\n");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(await status("life")).toBe("exited");
    expect(await env.ok(["inspect", "-f", "{{.State.ExitCode}}", "life"])).toBe("137\n");
    expect(await env.ok(["rm", "life"])).toBe("life\n");
    const gone = await env.run(["inspect", "life"]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/No such object: life/);
  });

  test("a process that handles SIGTERM stops gracefully; kill -s; restart; wait", async () => {
    await env.ok(["run", "-d", "--name", "graceful", "busybox", "sh", "-c", "trap 'exit 42' TERM; while true; do sleep 0.1; done"]);
    await env.ok(["stop", "graceful"]);
    expect(await env.ok(["inspect", "-f", "{{.State.ExitCode}}", "graceful"])).toBe("42\n");
    await env.ok(["restart", "graceful"]);
    expect(await status("graceful")).toBe("running");
    expect(await env.ok(["kill", "-s", "TERM", "graceful"])).toBe("graceful\n");
    expect(await env.ok(["wait", "graceful"])).toBe("42\n");
    const notRunning = await env.run(["kill", "graceful"]);
    expect(notRunning.code).toBe(1);
    expect(notRunning.stderr).toMatch(/is not running/);
    await env.ok(["rm", "graceful"]);
  });

  test("rm refuses a running container unless -f; names are unique; rename", async () => {
    await env.ok(["run", "-d", "--name", "busy", "busybox", "sleep", "60"]);
    const refused = await env.run(["rm", "busy"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/container is running: stop the container before removing or force remove/);
    const dup = await env.run(["run", "-d", "--name", "busy", "busybox", "true"]);
    expect(dup.code).toBe(125);
    expect(dup.stderr).toMatch(/Conflict\. The container name "\/busy" is already in use by container "[a-f0-9]{64}"/);
    await env.ok(["rename", "busy", "renamed"]);
    expect(await status("renamed")).toBe("running");
    expect((await env.run(["inspect", "busy"])).code).toBe(1);
    expect(await env.ok(["rm", "-f", "renamed"])).toBe("renamed\n");
    expect((await env.ok(["ps", "-aq"])).includes("renamed")).toBe(false);
  });

  test("ps -q, -n, -l, --filter, --no-trunc, json", async () => {
    const a = (await env.ok(["run", "-d", "--name", "pa", "-l", "role=a", "busybox", "sleep", "60"])).trim();
    expect((await env.run(["run", "--name", "pb", "-l", "role=b", "busybox", "sh", "-c", "exit 2"])).code).toBe(2);
    expect((await env.ok(["ps", "-q"])).trim().split("\n")).toEqual([a.slice(0, 12)]);
    expect((await env.ok(["ps", "-l", "--format", "{{.Names}}"])).trim()).toBe("pb");
    expect((await env.ok(["ps", "-n", "2", "--format", "{{.Names}}"])).trim().split("\n")).toEqual(["pb", "pa"]);
    expect((await env.ok(["ps", "-a", "--filter", "label=role=b", "--format", "{{.Names}}"])).trim()).toBe("pb");
    expect((await env.ok(["ps", "-a", "--filter", "exited=2", "--format", "{{.Names}}"])).trim()).toBe("pb");
    expect((await env.ok(["ps", "-a", "--filter", "status=running", "--format", "{{.Names}}"])).trim()).toBe("pa");
    expect((await env.ok(["ps", "--no-trunc", "-q"])).trim()).toBe(a);
    const j = JSON.parse((await env.ok(["ps", "--format", "json"])).trim()) as Record<string, string>;
    expect(j.Names).toBe("pa");
    expect(j.Command).toBe('"sleep 60"');
    expect((await env.ok(["ps", "-a", "--format", "{{.Status}}", "--filter", "name=pb"])).trim()).toMatch(/^Exited \(2\) .* ago$/);
    const bad = await env.run(["ps", "--filter", "status=sleepy"]);
    expect(bad.code).toBe(1);
    await env.ok(["rm", "-f", "pa", "pb"]);
  });

  test("pause and unpause stop every process of the container", async () => {
    await env.ok(["run", "-d", "--name", "pz", "busybox", "sh", "-c", "while true; do date +%s%N > /tmp/tick; sleep 0.05; done"]);
    await sleep(300);
    await env.ok(["pause", "pz"]);
    expect(await status("pz")).toBe("paused");
    const pid = Number((await env.ok(["inspect", "-f", "{{.State.Pid}}", "pz"])).trim());
    const { readFileSync } = await import("node:fs");
    expect(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]![0]).toBe("T");
    expect((await env.ok(["ps", "--format", "{{.Status}}", "--filter", "name=pz"])).trim()).toMatch(/\(Paused\)$/);
    const paused = await env.run(["exec", "pz", "true"]);
    expect(paused.code).not.toBe(0);
    await env.ok(["unpause", "pz"]);
    expect(await status("pz")).toBe("running");
    expect(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]![0]).not.toBe("T");
    await env.ok(["rm", "-f", "pz"]);
  });

  test("restart policy on-failure:2 restarts twice, then stays exited; stop prevents restarts", async () => {
    await env.ok(["run", "-d", "--name", "flaky", "--restart", "on-failure:2", "busybox", "sh", "-c", "sleep 0.2; exit 5"]);
    await until(async () => (await status("flaky")) === "exited" && (await env.ok(["inspect", "-f", "{{.RestartCount}}", "flaky"])).trim() === "2", 15000);
    await sleep(800);
    expect(await env.ok(["inspect", "-f", "{{.RestartCount}} {{.State.ExitCode}}", "flaky"])).toBe("2 5\n");
    await env.ok(["run", "-d", "--name", "always", "--restart", "always", "busybox", "sh", "-c", "sleep 0.2; exit 1"]);
    await until(async () => Number((await env.ok(["inspect", "-f", "{{.RestartCount}}", "always"])).trim()) >= 1, 10000);
    await env.ok(["stop", "-t", "1", "always"]);
    const count = (await env.ok(["inspect", "-f", "{{.RestartCount}}", "always"])).trim();
    await sleep(1500);
    expect(await status("always")).toBe("exited");
    expect((await env.ok(["inspect", "-f", "{{.RestartCount}}", "always"])).trim()).toBe(count);
    const conflict = await env.run(["run", "--rm", "--restart", "always", "busybox", "true"]);
    expect(conflict.code).toBe(125);
    expect(conflict.stderr).toMatch(/Conflicting options: --restart and --rm/);
    await env.ok(["rm", "-f", "flaky", "always"]);
  }, 60_000);

  test("stop between two runs of a restart policy cancels the pending restart", async () => {
    // Exiting at once, the container spends most of its time in the back-off
    // gap (up to 1 s), where there is no process to signal.
    await env.ok(["run", "-d", "--name", "gap", "--restart", "always", "busybox", "sh", "-c", "exit 3"]);
    await until(async () => Number((await env.ok(["inspect", "-f", "{{.RestartCount}}", "gap"])).trim()) >= 4, 20000);
    await until(async () => (await status("gap")) === "restarting", 5000);
    await env.ok(["stop", "gap"]);
    const count = (await env.ok(["inspect", "-f", "{{.RestartCount}}", "gap"])).trim();
    await sleep(2500);
    expect(await env.ok(["inspect", "-f", "{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}", "gap"])).toBe(`exited ${count} 3\n`);
    await env.ok(["rm", "gap"]);
  }, 60_000);

  test("inspect shape, top, container prune", async () => {
    await env.ok(["run", "-d", "--name", "insp", "busybox", "sleep", "60"]);
    const [c] = JSON.parse(await env.ok(["container", "inspect", "insp"])) as Record<string, any>[];
    expect(c!.Name).toBe("/insp");
    expect(c!.State.Running).toBe(true);
    expect(c!.State.Pid).toBeGreaterThan(1);
    expect(c!.Config.Cmd).toEqual(["sleep", "60"]);
    expect(c!.Path).toBe("sleep");
    expect(c!.GraphDriver.Name).toBe("overlay");
    const top = (await env.ok(["top", "insp"])).split("\n");
    expect(top[0]).toMatch(/^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
    expect(top[1]).toMatch(/sleep 60$/);
    await env.ok(["run", "--name", "dead1", "busybox", "true"]);
    const pruned = await env.ok(["container", "prune", "-f"]);
    expect(pruned).toMatch(/^Deleted Containers:\n[a-f0-9]{64}\n/);
    expect((await env.run(["inspect", "dead1"])).code).toBe(1);
    expect(await status("insp")).toBe("running");
    await env.ok(["rm", "-f", "insp"]);
  });

  test("a container survives the CLI being killed, and rm -f still removes it", async () => {
    const { spawn } = await import("node:child_process");
    const { skiffBin } = await import("../../helpers/cli.js");
    const child = spawn(process.execPath, [skiffBin, "run", "--name", "orphan", "busybox", "sleep", "60"], { env: env.env, stdio: "ignore", detached: true });
    await until(async () => (await env.run(["inspect", "-f", "{{.State.Status}}", "orphan"])).stdout.trim() === "running");
    process.kill(-child.pid!, "SIGKILL");
    await sleep(300);
    expect(await status("orphan")).toBe("running");
    expect((await env.ok(["ps", "--format", "{{.Names}}"])).split("\n")).toContain("orphan");
    await env.ok(["rm", "-f", "orphan"]);
    expect((await env.run(["inspect", "orphan"])).code).toBe(1);
  });
});
