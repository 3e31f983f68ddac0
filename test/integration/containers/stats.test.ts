import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SkiffEnv, isRoot } from "../../helpers/cli.js";
import { loadBusybox } from "../../helpers/busybox.js";
import { probeCgroups } from "../../../src/runtime/cgroups.js";

// `stats` where no cgroup is delegated (this machine): Docker's columns,
// filled from /proc; resource limits that cannot be enforced are refused
// politely — one warning line — and the container still runs.

let env: SkiffEnv;
const delegated = Boolean(probeCgroups().delegated);

beforeAll(async () => {
  env = new SkiffEnv();
  await loadBusybox(env);
  await Promise.all([
    env.ok(["run", "-d", "--name", "busy", "busybox", "sh", "-c", "while :; do :; done"]),
    env.ok(["run", "-d", "--name", "idle", "busybox", "sleep", "300"]),
    env.ok(["run", "-d", "--name", "three", "busybox", "sh", "-c", "sleep 300 & sleep 300 & wait"]),
    // dd holds its 32 MiB buffer (read from /dev/zero, so resident) while the pipe is never read.
    env.ok(["run", "-d", "--name", "hungry", "busybox", "sh", "-c", "dd if=/dev/zero bs=32M count=1 | sleep 300"]),
  ]);
  await env.ok(["create", "--name", "stopped", "busybox", "true"]);
}, 120_000);
afterAll(async () => {
  const left = (await env?.run(["ps", "-aq"]))?.stdout.split("\n").filter(Boolean) ?? [];
  if (left.length) await env.run(["rm", "-f", ...left]);
  env?.cleanup();
}, 120_000);

function mib(usage: string): number {
  const m = /^([\d.]+)(B|KiB|MiB|GiB)$/.exec(usage);
  if (!m) throw new Error(`not a size: ${usage}`);
  return Number(m[1]) * { B: 1 / 1048576, KiB: 1 / 1024, MiB: 1, GiB: 1024 }[m[2] as "B"];
}

describe.skipIf(isRoot)("stats", () => {
  test("--no-stream: Docker's columns, measured from /proc", async () => {
    const out = await env.ok(["stats", "--no-stream"]);
    const lines = out.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/);
    // Running ones only, not the created one.
    expect(lines.slice(1).map((l) => l.split(/\s+/)[1]).sort()).toEqual(["busy", "hungry", "idle", "three"]);
    for (const l of lines.slice(1)) expect(l).toMatch(/^[0-9a-f]{12}\s+\S+\s+\d+\.\d\d%\s+[\d.]+\w*B \/ [\d.]+\w*B\s+\d+\.\d\d%\s+--\s+--\s+\d+$/);
  });

  test("--format: CPU, memory and PIDs per container", async () => {
    const out = await env.ok(["stats", "--no-stream", "--format", "{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.PIDs}}|{{.NetIO}}", "busy", "idle", "three", "hungry"]);
    const rows = Object.fromEntries(out.trim().split("\n").map((l) => [l.split("|")[0], l.split("|").slice(1)]));
    const cpu = (name: string) => Number(rows[name]![0]!.replace("%", ""));
    expect(cpu("busy")).toBeGreaterThan(30);
    expect(cpu("idle")).toBeLessThan(5);
    expect(rows.idle![2]).toBe("1");
    expect(rows.three![2]).toBe("3");
    expect(rows.hungry![2]).toBe("3");
    const [used, limit] = rows.hungry![1]!.split(" / ");
    expect(mib(used!)).toBeGreaterThan(32);
    expect(mib(used!)).toBeLessThan(64);
    expect(mib(limit!)).toBeGreaterThan(mib(used!));
    expect(rows.busy![3]).toBe("--");
  });

  test("-a shows stopped containers with -- for what a stopped container has not", async () => {
    const out = await env.ok(["stats", "--no-stream", "-a", "--format", "{{.Name}} {{.CPUPerc}} {{.PIDs}}"]);
    expect(out.split("\n")).toContain("stopped -- --");
    const json = await env.ok(["stats", "--no-stream", "--format", "json", "idle"]);
    expect(JSON.parse(json)).toMatchObject({ Name: "idle", PIDs: "1", NetIO: "--", BlockIO: "--" });
  });

  test.skipIf(delegated)("--memory, --cpus, --pids-limit without a delegated cgroup: one warning, the container runs", async () => {
    const r = await env.run(["run", "--rm", "--memory", "64m", "--cpus", "0.5", "--pids-limit", "10", "busybox", "echo", "ran"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("ran\n");
    const warnings = r.stderr.split("\n").filter(Boolean);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^WARNING: --memory, --cpus, --pids-limit ignored: no delegated cgroup v2 subtree/);
    // One limit alone: still exactly one line, naming it.
    const d = await env.run(["run", "-d", "--name", "limited", "--pids-limit", "5", "busybox", "sleep", "300"]);
    expect(d.code).toBe(0);
    expect(d.stderr.split("\n").filter(Boolean)).toEqual([expect.stringMatching(/^WARNING: --pids-limit ignored/)]);
    expect(await env.ok(["inspect", "-f", "{{.State.Running}}", "limited"])).toBe("true\n");
    // Not enforced, as said: more than five processes start.
    const count = await env.ok(["exec", "limited", "sh", "-c", "for i in 1 2 3 4 5 6 7; do sleep 30 & done; ls /proc | grep -c '^[0-9]'"]);
    expect(Number(count)).toBeGreaterThan(5);
    await env.ok(["rm", "-f", "limited"]);
  });
});
