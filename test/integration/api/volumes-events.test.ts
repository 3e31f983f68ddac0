import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { isRoot, SkiffEnv } from "../../helpers/cli.js";
import { loadBusybox } from "../../helpers/busybox.js";
import { dockerAt, dockerCli, startService, type ServiceProcess } from "./service-process.js";

// docker volume and docker events against the service: labels round-trip,
// the in-use conflict, prune's rules; a range of past events and a stream
// that sees what the skiff CLI does meanwhile (the event log is shared by
// every skiff process, the service only reads it).

describe.skipIf(isRoot || !dockerCli)("docker volume and docker events", () => {
  let e: SkiffEnv;
  let svc: ServiceProcess;
  let sock: string;
  let docker: ReturnType<typeof dockerAt>;

  beforeAll(async () => {
    e = new SkiffEnv();
    await loadBusybox(e);
    sock = join(e.base, "api.sock");
    svc = await startService(e, ["--time", "0", `unix://${sock}`]);
    docker = dockerAt(sock, join(e.base, "docker-config"));
  });
  afterAll(async () => {
    await svc?.stop();
    e?.cleanup();
  });

  const ok = async (args: string[]) => {
    const r = await docker(args);
    if (r.code !== 0) throw new Error(`docker ${args.join(" ")} exited ${r.code}\n${r.stderr}${r.stdout}`);
    return r.stdout;
  };

  test("volume create/ls/inspect/rm with labels; the in-use conflict; prune's anonymous-only default", async () => {
    expect(await ok(["volume", "create", "--label", "team=web", "--label", "tier=front", "labelled-vol"])).toBe("labelled-vol\n");
    await ok(["volume", "create", "plain-vol"]);
    const [v] = JSON.parse(await ok(["volume", "inspect", "labelled-vol"])) as Record<string, unknown>[];
    expect(v).toMatchObject({ Name: "labelled-vol", Driver: "local", Labels: { team: "web", tier: "front" }, Scope: "local" });
    // The same volume as skiff sees it.
    expect(await e.ok(["volume", "inspect", "-f", "{{.Labels.team}} {{.Mountpoint}}", "labelled-vol"])).toBe(`web ${v!.Mountpoint}\n`);
    // The docker CLI joins the labels from a Go map: in no fixed order.
    const [name, labels] = (await ok(["volume", "ls", "--filter", "label=team=web", "--format", "{{.Name}} {{.Labels}}"])).trim().split(" ");
    expect([name, labels!.split(",").sort()]).toEqual(["labelled-vol", ["team=web", "tier=front"]]);
    expect(await ok(["volume", "ls", "-q"])).toBe("labelled-vol\nplain-vol\n");
    const missing = await docker(["volume", "inspect", "no-such-vol"]);
    expect([missing.code, missing.stderr]).toEqual([1, "Error response from daemon: get no-such-vol: no such volume\n"]);

    const user = (await e.ok(["create", "-v", "plain-vol:/data", "-v", "/anon", "busybox", "true"])).trim();
    const anon = (await e.ok(["inspect", "-f", '{{range .Mounts}}{{if eq .Destination "/anon"}}{{.Name}}{{end}}{{end}}', user])).trim();
    const inUse = await docker(["volume", "rm", "plain-vol"]);
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toMatch(new RegExp(`^Error response from daemon: remove plain-vol: volume is in use - \\[${user}\\]\n`));
    expect(await ok(["volume", "ls", "--filter", "dangling=true", "-q"])).toBe("labelled-vol\n");
    await e.ok(["rm", user]);
    // Docker 23+: prune takes anonymous volumes only, unless --all.
    const pruned = await ok(["volume", "prune", "-f"]);
    expect(pruned).toBe(`Deleted Volumes:\n${anon}\n\nTotal reclaimed space: 0B\n`);
    expect(await ok(["volume", "ls", "-q"])).toBe("labelled-vol\nplain-vol\n");
    expect(await ok(["volume", "prune", "-f", "--all", "--filter", "label=team=web"])).toBe("Deleted Volumes:\nlabelled-vol\n\nTotal reclaimed space: 0B\n");
    expect(await ok(["volume", "rm", "plain-vol"])).toBe("plain-vol\n");
    expect(await ok(["volume", "ls", "-q"])).toBe("");
  });

  test("events --since --until: the range, filtered, ends by itself", async () => {
    const since = `${Math.floor(Date.now() / 1000) - 1}`;
    await ok(["volume", "create", "ev-range"]);
    await ok(["volume", "rm", "ev-range"]);
    await e.ok(["volume", "create", "ev-by-skiff"]);
    await e.ok(["volume", "rm", "ev-by-skiff"]);
    const until = `${Math.floor(Date.now() / 1000) + 1}`;
    // A range that ends now or a second from now: the command returns once it is over.
    const r = await ok(["events", "--since", since, "--until", until, "--filter", "volume=ev-range", "--filter", "volume=ev-by-skiff", "--format", "{{.Action}} {{.Actor.ID}}"]);
    expect(r).toBe("create ev-range\ndestroy ev-range\ncreate ev-by-skiff\ndestroy ev-by-skiff\n");
    const json = (await ok(["events", "--since", since, "--until", until, "--filter", "volume=ev-range", "--format", "{{json .}}"])).trim().split("\n");
    expect(json.map((l) => JSON.parse(l) as Record<string, unknown>)).toMatchObject([
      { Type: "volume", Action: "create", Actor: { ID: "ev-range", Attributes: { driver: "local" } }, scope: "local" },
      { Type: "volume", Action: "destroy", Actor: { ID: "ev-range" } },
    ]);
    const backwards = await docker(["events", "--since", until, "--until", since]);
    expect(backwards.code).toBe(1);
    expect(backwards.stderr).toMatch(/cannot be after `until` time/);
  });

  test("a streaming docker events sees a container that the skiff CLI starts", async () => {
    const marker = "ev-stream-marker";
    const since = `${Math.floor(Date.now() / 1000) - 1}`;
    await e.ok(["volume", "create", marker]);
    const child = spawn(
      dockerCli!,
      ["events", "--since", since, "--filter", "type=volume", "--filter", "type=container", "--filter", "event=create", "--filter", "event=start", "--format", "{{.Type}} {{.Action}} {{or .Actor.Attributes.name .Actor.ID}}"],
      { env: { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(e.base, "docker-config") }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number>((resolve) => child.once("exit", (code) => resolve(code ?? 128)));
    /** Resolves once docker events has printed this line. */
    const line = (want: string) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!out.split("\n").includes(want)) return;
          child.stdout!.off("data", check);
          resolve();
        };
        child.stdout!.on("data", check);
        check();
        void exited.then(() => reject(new Error(`docker events ended before "${want}":\n${out}${err}`)));
      });
    try {
      // The marker comes from the range before now: from here on, the stream is live.
      await line(`volume create ${marker}`);
      await e.ok(["run", "-d", "--name", "ev-streamed", "busybox", "sleep", "60"]);
      await line("container start ev-streamed");
      expect(out.split("\n")).toContain("container create ev-streamed");
    } finally {
      child.kill("SIGTERM");
      await exited;
      await e.run(["rm", "-f", "ev-streamed"]);
      await e.run(["volume", "rm", marker]);
    }
  });
});
