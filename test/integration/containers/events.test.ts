import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { DockerEvent } from "../../../src/events/event.js";
import { EventFilters } from "../../../src/events/filters.js";
import { EventLog } from "../../../src/events/log.js";
import { loadBusybox } from "../../helpers/busybox.js";
import { SkiffEnv, isRoot, skiffBin } from "../../helpers/cli.js";
import { startRegistry } from "../../helpers/registry.js";

// Docker's event sequences from real containers: what the CLI logs and what
// each container's monitor logs while no skiff process runs. Every wait is
// on the events themselves (the log followed as it grows), never on time.

const nowNs = () => BigInt(Date.now()) * 1_000_000n;
const actions = (events: DockerEvent[]) => events.map((e) => e.Action);

/** Follow the environment's log from `since` until `done` holds for what came (30 s at most). */
async function seen(env: SkiffEnv, since: bigint, filters: string[], done: (got: DockerEvent[]) => boolean): Promise<DockerEvent[]> {
  const log = new EventLog(join(env.storageRoot, "events", "events.log"));
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 30_000);
  const got: DockerEvent[] = [];
  try {
    for await (const e of log.follow({ since, filters: EventFilters.parse(filters), signal: abort.signal })) {
      got.push(e);
      if (done(got)) return got;
    }
  } finally {
    clearTimeout(timer);
  }
  throw new Error(`events not seen; got: ${actions(got).join(", ")}`);
}

const endsWith = (action: string, n = 1) => (got: DockerEvent[]) => got.filter((e) => e.Action === action).length >= n;

/** A container that exits once the test creates `go` in its /sync directory. */
function gate(env: SkiffEnv, name: string): { dir: string; open: () => void } {
  const dir = join(env.base, "work", `sync-${name}`);
  mkdirSync(dir, { recursive: true });
  return { dir, open: () => writeFileSync(join(dir, "go"), "") };
}
const WAIT_FOR_GO = ["sh", "-c", "while [ ! -e /sync/go ]; do sleep 0.05; done; exit 7"];

let env: SkiffEnv;
beforeAll(async () => {
  env = new SkiffEnv({ TZ: "UTC" });
  await loadBusybox(env);
});
afterAll(() => env?.cleanup());

describe.skipIf(isRoot)("container events", () => {
  test("run -d of a container that exits: create, start, die with exitCode, name, image and labels", async () => {
    const since = nowNs();
    const id = (await env.ok(["run", "-d", "--name", "ev-exit", "-l", "com.example.role=web", "-l", "tier", "busybox", "sh", "-c", "exit 3"])).trim();
    const got = await seen(env, since, ["container=ev-exit"], endsWith("die"));
    expect(actions(got)).toEqual(["create", "start", "die"]);
    for (const e of got) {
      expect(e).toMatchObject({ Type: "container", status: e.Action, id, from: "busybox", scope: "local", Actor: { ID: id } });
      expect(e.Actor.Attributes).toMatchObject({ name: "ev-exit", image: "busybox", "com.example.role": "web", tier: "" });
      expect(e.time).toBe(Number(e.timeNano / 1_000_000_000n));
    }
    expect(got[2]!.Actor.Attributes.exitCode).toBe("3");
    expect(got[2]!.Actor.Attributes.execDuration).toMatch(/^\d+$/);
    expect(got[0]!.timeNano < got[1]!.timeNano && got[1]!.timeNano < got[2]!.timeNano).toBe(true);
  });

  test("run -d --rm: the monitor logs die and then destroy, with no skiff process alive", async () => {
    const g = gate(env, "rm");
    const since = nowNs();
    // `run -d` has returned (and no other skiff runs) before the container is let go.
    const id = (await env.ok(["run", "-d", "--rm", "--name", "ev-rm", "-v", `${g.dir}:/sync`, "busybox", ...WAIT_FOR_GO])).trim();
    await seen(env, since, ["container=ev-rm"], endsWith("start"));
    g.open();
    const got = await seen(env, since, ["container=ev-rm"], endsWith("destroy"));
    expect(actions(got)).toEqual(["create", "start", "die", "destroy"]);
    expect(got[2]!.Actor.Attributes.exitCode).toBe("7");
    expect(got[3]!.Actor).toEqual({ ID: id, Attributes: { image: "busybox", name: "ev-rm" } });
    expect((await env.run(["inspect", "ev-rm"])).code).toBe(1);
  });

  test("attached run --rm: create, attach, start, die, destroy", async () => {
    const since = nowNs();
    expect((await env.run(["run", "--rm", "--name", "ev-attached", "busybox", "sh", "-c", "exit 2"])).code).toBe(2);
    const got = await seen(env, since, ["container=ev-attached"], endsWith("destroy"));
    expect(actions(got)).toEqual(["create", "attach", "start", "die", "destroy"]);
  });

  test("stop gives kill (the stop signal), die, stop; kill gives kill, die; rm -f gives kill, die, destroy", async () => {
    await env.ok(["run", "-d", "--name", "ev-stop", "busybox", "sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.05; done"]);
    await seen(env, 0n, ["container=ev-stop"], endsWith("start"));
    let since = nowNs();
    await env.ok(["stop", "ev-stop"]);
    let got = await seen(env, since, ["container=ev-stop"], endsWith("stop"));
    expect(got.map((e) => [e.Action, e.Actor.Attributes.signal ?? e.Actor.Attributes.exitCode ?? ""])).toEqual([["kill", "15"], ["die", "0"], ["stop", ""]]);

    await env.ok(["start", "ev-stop"]);
    since = nowNs();
    await env.ok(["kill", "ev-stop"]);
    got = await seen(env, since, ["container=ev-stop"], endsWith("die"));
    expect(got.map((e) => [e.Action, e.Actor.Attributes.signal ?? e.Actor.Attributes.exitCode])).toEqual([["kill", "9"], ["die", "137"]]);

    await env.ok(["start", "ev-stop"]);
    since = nowNs();
    await env.ok(["rm", "-f", "ev-stop"]);
    got = await seen(env, since, ["container=ev-stop"], endsWith("destroy"));
    expect(actions(got)).toEqual(["kill", "die", "destroy"]);
  });

  test("a restart policy gives die, then start, for each restart", async () => {
    const since = nowNs();
    await env.ok(["run", "-d", "--name", "ev-restart", "--restart", "on-failure:2", "busybox", "sh", "-c", "exit 1"]);
    const got = await seen(env, since, ["container=ev-restart", "event=die", "event=start"], endsWith("die", 3));
    expect(actions(got)).toEqual(["start", "die", "start", "die", "start", "die"]);
    expect(got.filter((e) => e.Action === "die").map((e) => e.Actor.Attributes.exitCode)).toEqual(["1", "1", "1"]);
  });

  test("pause, unpause, rename (oldName), exec_create/exec_start/exec_die, restart", async () => {
    const since = nowNs();
    await env.ok(["run", "-d", "--name", "ev-misc", "busybox", "sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.05; done"]);
    await env.ok(["pause", "ev-misc"]);
    await env.ok(["unpause", "ev-misc"]);
    await env.ok(["rename", "ev-misc", "ev-misc2"]);
    expect((await env.run(["exec", "ev-misc2", "sh", "-c", "exit 4"])).code).toBe(4);
    await env.ok(["restart", "ev-misc2"]);
    // container=ev-misc also matches ev-misc2: names match as prefixes, as in Docker.
    const got = await seen(env, since, ["event=pause", "event=unpause", "event=rename", "event=exec_create", "event=exec_start", "event=exec_die", "event=restart", "container=ev-misc"], endsWith("restart"));
    expect(actions(got)).toEqual(["pause", "unpause", "rename", "exec_create: sh -c exit 4", "exec_start: sh -c exit 4", "exec_die", "restart"]);
    const [, , rename, create, start, die] = got;
    expect(rename!.Actor.Attributes).toMatchObject({ name: "ev-misc2", oldName: "ev-misc" });
    expect(create!.Actor.Attributes.execID).toMatch(/^[a-f0-9]{64}$/);
    expect(start!.Actor.Attributes.execID).toBe(create!.Actor.Attributes.execID);
    expect(die!.Actor.Attributes).toMatchObject({ execID: create!.Actor.Attributes.execID, exitCode: "4", name: "ev-misc2" });
    // The monitor started before the rename names the container anew in its own events.
    const since2 = nowNs();
    await env.ok(["kill", "ev-misc2"]);
    const died = await seen(env, since2, ["event=die", "container=ev-misc2"], endsWith("die"));
    expect(died[0]!.Actor.Attributes.name).toBe("ev-misc2");
    await env.ok(["rm", "-f", "ev-misc2"]);
  });

  test("image and volume events: tag, untag, delete, save, load, volume create, mount, destroy", async () => {
    const since = nowNs();
    await env.ok(["tag", "busybox", "ev/img:1"]);
    const archive = join(env.base, "work", "ev.tar");
    await env.ok(["save", "-o", archive, "ev/img:1"]);
    await env.ok(["rmi", "ev/img:1"]);
    await env.ok(["load", "-i", archive]);
    await env.ok(["volume", "create", "ev-vol"]);
    await env.ok(["run", "--rm", "-v", "ev-vol:/data", "busybox", "true"]);
    await env.ok(["volume", "rm", "ev-vol"]);
    const got = await seen(env, since, ["type=image", "type=volume"], endsWith("destroy"));
    const id = (await env.ok(["inspect", "-f", "{{.Id}}", "busybox"])).trim();
    expect(got.map((e) => `${e.Type} ${e.Action} ${e.Actor.ID} ${e.Actor.Attributes.name ?? ""}`)).toEqual([
      `image tag ${id} ev/img:1`,
      `image save ${id} ${id}`,
      `image untag ${id} ${id}`,
      `image load ${id} ${id}`,
      "volume create ev-vol ",
      "volume mount ev-vol ",
      "volume destroy ev-vol ",
    ]);
    expect(got[5]!.Actor.Attributes).toMatchObject({ destination: "/data", driver: "local", "read/write": "true" });
    expect(got[0]).toMatchObject({ status: "tag", id });
    expect(got[0]!.from).toBeUndefined();
  });

  test("import, then rmi of the last name: import, untag, delete; commit logs the container's commit", async () => {
    const tree = join(env.base, "work", "import-tree");
    mkdirSync(tree, { recursive: true });
    writeFileSync(join(tree, "hello"), "hi\n");
    const tar = join(env.base, "work", "import.tar");
    expect(spawnSync("tar", ["-cf", tar, "-C", tree, "."]).status).toBe(0);
    const since = nowNs();
    const imported = (await env.ok(["import", tar, "ev/imported:1"])).trim();
    await env.ok(["rmi", "ev/imported:1"]);
    const got = await seen(env, since, ["type=image"], endsWith("delete"));
    expect(got.map((e) => `${e.Action} ${e.Actor.ID} ${e.Actor.Attributes.name}`)).toEqual([`import ${imported} ${imported}`, `untag ${imported} ${imported}`, `delete ${imported} ${imported}`]);

    const id = (await env.ok(["run", "-d", "--name", "ev-commit", "busybox", "sh", "-c", "echo x > /f; sleep 600"])).trim();
    const since2 = nowNs();
    const image = (await env.ok(["commit", "-m", "a note", "ev-commit", "ev/committed:2"])).trim();
    const commit = await seen(env, since2, ["container=ev-commit"], endsWith("commit"));
    // Docker pauses the container while it reads its changes.
    expect(actions(commit)).toEqual(["pause", "unpause", "commit"]);
    expect(commit[2]!.Actor).toEqual({ ID: id, Attributes: { comment: "a note", image: "busybox", imageID: image, imageRef: "ev/committed:2", name: "ev-commit" } });
    await env.ok(["rm", "-f", "ev-commit"]);
  });

  test("push and pull name the reference, as Docker's do", async () => {
    const reg = await startRegistry();
    try {
      const ref = `${reg.host}/ev/app:1`;
      await env.ok(["tag", "busybox", ref]);
      const since = nowNs();
      await env.ok(["push", ref]);
      await env.ok(["rmi", ref]);
      await env.ok(["pull", ref]);
      const got = await seen(env, since, ["type=image", "event=push", "event=pull"], endsWith("pull"));
      expect(got.map((e) => [e.Action, e.Actor.ID, e.Actor.Attributes.name])).toEqual([
        ["push", ref, `${reg.host}/ev/app`],
        ["pull", ref, `${reg.host}/ev/app`],
      ]);
      await env.ok(["rmi", ref]);
    } finally {
      await reg.stop();
    }
  });

  test("skiff events: Docker's default line, --format json, --filter, and a --since/--until range", async () => {
    const since = nowNs();
    const id = (await env.ok(["run", "-d", "--name", "ev-cli", "-l", "z=1", "busybox", "true"])).trim();
    const got = await seen(env, since, ["container=ev-cli"], endsWith("die"));
    const range = ["--since", `${got[0]!.timeNano / 1_000_000_000n}.${String(got[0]!.timeNano % 1_000_000_000n).padStart(9, "0")}`, "--until", `${got[2]!.timeNano / 1_000_000_000n}.${String(got[2]!.timeNano % 1_000_000_000n).padStart(9, "0")}`];
    const text = await env.ok(["events", ...range, "--filter", "container=ev-cli"]);
    const lines = text.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z container create ${id} \\(image=busybox, name=ev-cli, z=1\\)$`));
    expect(lines[2]).toMatch(new RegExp(` container die ${id} \\(execDuration=\\d+, exitCode=0, image=busybox, name=ev-cli, z=1\\)$`));
    // json: the log's own lines, which are Docker's `{{json .}}`.
    const json = (await env.ok(["events", ...range, "--filter", "container=ev-cli", "--format", "json"])).trimEnd().split("\n");
    const logLines = readFileSync(join(env.storageRoot, "events", "events.log"), "utf8").split("\n").filter((l) => l.includes(`"ID":"${id}"`));
    expect(json).toEqual(logLines);
    expect(JSON.parse(json[1]!)).toMatchObject({ status: "start", id, from: "busybox", Type: "container", Action: "start", scope: "local" });
    // A Go template on the message struct; filters combine as Docker's.
    expect(await env.ok(["events", ...range, "--filter", "event=die", "--filter", "label=z=1", "--format", "{{.Type}} {{.Status}} {{.Actor.Attributes.exitCode}} {{.ID | printf \"%.12s\"}}"])).toBe(`container die 0 ${id.slice(0, 12)}\n`);
    expect(await env.ok(["events", ...range, "--filter", "label=z=2"])).toBe("");
    // A range that ends before it starts is refused.
    const bad = await env.run(["events", "--since", "2000000000", "--until", "1000000000"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/`since` time \(2000000000\) cannot be after `until` time \(1000000000\)/);
    const badFormat = await env.run(["events", "--since", "1000000000", "--until", "1000000001", "--format", "{{.Nope}}"]);
    expect(badFormat.code).toBe(64);
    expect(badFormat.stderr).toMatch(/can't evaluate field Nope/);
  });

  test("skiff events without --until streams: history since --since first, then events as they happen", async () => {
    const since = nowNs();
    await env.ok(["run", "-d", "--name", "ev-stream", "busybox", "sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.05; done"]);
    const child = spawn(process.execPath, [skiffBin, "events", "--since", `${since / 1_000_000_000n}`, "--filter", "container=ev-stream", "--format", "{{.Action}}"], {
      env: env.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const waitFor = (line: string) =>
      new Promise<void>((resolve, reject) => {
        const check = () => out.split("\n").includes(line) && resolve();
        child.stdout!.on("data", (d: Buffer) => {
          out += d.toString();
          check();
        });
        child.on("exit", () => reject(new Error(`skiff events ended: ${out}`)));
        check();
      });
    try {
      await waitFor("start");
      await env.ok(["stop", "ev-stream"]);
      await waitFor("stop");
      expect(out.trimEnd().split("\n")).toEqual(["create", "start", "kill", "die", "stop"]);
    } finally {
      child.kill("SIGINT");
    }
    expect(await new Promise((resolve) => child.on("close", resolve))).toBe(0);
  });

  test("many containers exiting at once: every line whole, every die logged", async () => {
    const g = gate(env, "many");
    // A long label makes each line ~3 KB, so that interleaved writes would show.
    const big = `big=${"x".repeat(2800)}`;
    const since = nowNs();
    const n = 12;
    for (let i = 0; i < n; i++) await env.ok(["run", "-d", "--rm", "--name", `ev-many-${i}`, "-l", big, "-v", `${g.dir}:/sync`, "busybox", ...WAIT_FOR_GO]);
    await seen(env, since, ["event=start", "label=big"], endsWith("start", n));
    g.open();
    const got = await seen(env, since, ["event=destroy", "label=big"], endsWith("destroy", n));
    expect(got).toHaveLength(n);
    const lines = readFileSync(join(env.storageRoot, "events", "events.log"), "utf8").split("\n");
    expect(lines.pop()).toBe("");
    for (const line of lines) expect(() => JSON.parse(line), line.slice(0, 200)).not.toThrow();
    const dies = lines.map((l) => JSON.parse(l)).filter((e) => e.Action === "die" && e.Actor.Attributes.big);
    expect(dies).toHaveLength(n);
    for (const l of lines) expect(Buffer.byteLength(l) + 1).toBeLessThanOrEqual(4096);
  });
});

describe.skipIf(isRoot)("event log rotation", () => {
  let small: SkiffEnv;
  beforeAll(async () => {
    small = new SkiffEnv({ TZ: "UTC" });
    mkdirSync(join(small.base, "config", "skiff"), { recursive: true });
    writeFileSync(join(small.base, "config", "skiff", "skiff.conf"), "[events]\nmax_size = 8192\n");
    await loadBusybox(small);
  });
  afterAll(() => small?.cleanup());

  test("a follower sees every event across rotations; readers read the previous file too", async () => {
    const since = nowNs();
    const child = spawn(process.execPath, [skiffBin, "events", "--since", `${since / 1_000_000_000n}`, "--filter", "type=container", "--format", "{{.Action}} {{.Actor.Attributes.name}}"], {
      env: small.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    const n = 16;
    try {
      for (let i = 0; i < n; i++) await small.ok(["run", "--rm", "--name", `rot-${i}`, "-l", `pad=${"p".repeat(300)}`, "busybox", "true"]);
      await seen(small, since, ["container=rot-15"], endsWith("destroy"));
      await new Promise<void>((resolve, reject) => {
        const done = () => out.includes(`destroy rot-${n - 1}\n`) && resolve();
        child.stdout!.on("data", done);
        child.on("exit", () => reject(new Error(out)));
        done();
      });
    } finally {
      child.kill("SIGINT");
    }
    const expected = Array.from({ length: n }, (_, i) => ["create", "attach", "start", "die", "destroy"].map((a) => `${a} rot-${i}`)).flat();
    expect(out.trimEnd().split("\n")).toEqual(expected);
    const log = join(small.storageRoot, "events", "events.log");
    expect(readFileSync(`${log}.1`, "utf8").length).toBeGreaterThan(8192);
    expect(readFileSync(log, "utf8").length).toBeLessThanOrEqual(8192 + 4096);
    // A reader of the range gets the newest events (older generations are gone), whole and in order.
    const listed = (await small.ok(["events", "--since", `${since / 1_000_000_000n}`, "--until", String(Date.now() / 1000), "--format", "{{.Action}} {{.Actor.Attributes.name}}"])).trimEnd().split("\n");
    expect(listed.length).toBeGreaterThan(10);
    expect(expected.slice(-listed.length)).toEqual(listed);
  });
});
