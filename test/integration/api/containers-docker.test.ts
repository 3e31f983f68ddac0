import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { isRoot } from "../../helpers/cli.js";
import { startApiFixture, type ApiFixture } from "./api-fixture.js";
import { dockerCli, request } from "./service-process.js";

// The docker CLI 28 against `skiff system service`: the container and exec
// commands as a user types them, each judged by what the CLI prints and the
// exit code it ends with — and, where the CLI cannot tell, by what skiff's
// own CLI sees of the same store.

let f: ApiFixture;
beforeAll(async () => {
  if (!isRoot && dockerCli) f = await startApiFixture();
});
afterAll(async () => {
  await f?.stop();
});

/** A container that prints a tick every 0.1 s until /tmp/stop exists, then "bye" and exits with `code`. */
const ticker = (code: number) => `i=0; while [ ! -f /tmp/stop ]; do echo tick $i; i=$((i+1)); sleep 0.1; done; echo bye; exit ${code}`;

describe.skipIf(isRoot || !dockerCli)("docker run", () => {
  test("--rm: the output and the exit code, and nothing left behind", async () => {
    expect(await f.docker(["run", "--rm", "busybox", "echo", "hi"])).toEqual({ code: 0, stdout: "hi\n", stderr: "" });
    const r = await f.docker(["run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3"]);
    expect(r).toEqual({ code: 3, stdout: "out\n", stderr: "err\n" });
    expect((await f.docker(["ps", "-aq"])).stdout).toBe("");
  });

  test("-i with stdin piped: the input reaches the process and its end closes it", async () => {
    const r = await f.docker(["run", "-i", "--rm", "busybox", "sh", "-c", "tr a-z A-Z; echo done"], "piped input\n");
    expect(r).toEqual({ code: 0, stdout: "PIPED INPUT\ndone\n", stderr: "" });
  });

  test("-d prints the id and leaves it running; --rm -d removes it once it exits", async () => {
    const d = await f.docker(["run", "-d", "--name", "detached", "busybox", "sleep", "300"]);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect((await f.docker(["inspect", "-f", "{{.Id}} {{.State.Status}}", "detached"])).stdout).toBe(`${d.stdout.trim()} running\n`);
    const rmd = await f.docker(["run", "--rm", "-d", "busybox", "sh", "-c", "exit 0"]);
    expect(rmd.code, rmd.stderr).toBe(0);
    const id = rmd.stdout.trim();
    // The CLI has no `wait --condition removed`; the API has: it answers once the container is gone (or 404 if it already is).
    const removed = await request(f.sock, "POST", `/containers/${id}/wait?condition=removed`);
    expect([200, 404]).toContain(removed.status);
    const gone = await f.docker(["inspect", id]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`No such object: ${id}`);
    await f.docker(["rm", "-f", "detached"]);
  });

  test.skipIf(spawnSync("tmux", ["-V"]).status !== 0)("-it in a terminal: a shell, its output, the window size, its exit code", async () => {
    const server = `skiff-api-${process.pid}`;
    const tmux = (...args: string[]) => {
      const r = spawnSync("tmux", ["-L", server, ...args], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`tmux ${args.join(" ")}: ${r.stderr}`);
      return r.stdout;
    };
    const screenShows = async (re: RegExp) => {
      const deadline = Date.now() + 20_000;
      let text = "";
      while (Date.now() < deadline) {
        text = tmux("capture-pane", "-p", "-t", "it");
        if (re.test(text)) return text;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`the screen never showed ${re}:\n${text}`);
    };
    const vars = Object.entries(f.clientEnv).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
    try {
      tmux("new-session", "-d", "-s", "it", "-x", "90", "-y", "25", ...vars, `${dockerCli} run -it --rm busybox sh; echo "EXIT:$?"; sleep 60`);
      await screenShows(/# ?$/m);
      tmux("send-keys", "-t", "it", "echo answer=$((6*7)); stty size", "Enter");
      const s = await screenShows(/^answer=42\s*$/m);
      await screenShows(/^25 90\s*$/m);
      expect(s).toContain("answer=42");
      tmux("send-keys", "-t", "it", "exit 4", "Enter");
      await screenShows(/EXIT:4/);
      // Ctrl-P Ctrl-Q: the CLI lets go, the container runs on.
      tmux("kill-session", "-t", "it");
      tmux("new-session", "-d", "-s", "it", "-x", "90", "-y", "25", ...vars, `${dockerCli} run -it --name detachable busybox sh; echo "EXIT:$?"; sleep 60`);
      await screenShows(/# ?$/m);
      tmux("send-keys", "-t", "it", "C-p", "C-q");
      await screenShows(/EXIT:0/);
      expect((await f.docker(["inspect", "-f", "{{.State.Status}}", "detachable"])).stdout).toBe("running\n");
      await f.docker(["rm", "-f", "detachable"]);
    } finally {
      spawnSync("tmux", ["-L", server, "kill-server"]);
    }
  });
});

describe.skipIf(isRoot || !dockerCli)("docker ps, inspect, logs, wait, attach", () => {
  test("ps, ps -a and --format list what runs and what ran, with a leading-slash-free name", async () => {
    await f.docker(["run", "-d", "--name", "ps-up", "--label", "role=web", "busybox", "sleep", "300"]);
    await f.docker(["run", "--name", "ps-done", "busybox", "true"]);
    const ps = await f.docker(["ps", "--format", "{{.Names}} {{.Image}} {{.Command}} {{.Label \"role\"}}"]);
    expect(ps.stdout.split("\n")).toContain('ps-up busybox "sleep 300" web');
    expect(ps.stdout).not.toContain("ps-done");
    const all = await f.docker(["ps", "-a", "--format", "{{.Names}}\t{{.Status}}"]);
    expect(all.stdout).toMatch(/^ps-done\tExited \(0\) /m);
    expect(all.stdout).toMatch(/^ps-up\tUp /m);
    const table = await f.docker(["ps"]);
    expect(table.stdout.split("\n")[0]).toMatch(/^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/);
    expect((await f.docker(["ps", "-q", "--filter", "label=role=web"])).stdout.trim()).toHaveLength(12);
    await f.docker(["rm", "-f", "ps-up", "ps-done"]);
  });

  test("inspect agrees with skiff's own inspect", async () => {
    await f.docker(["create", "--name", "insp", "-e", "A=1", "--label", "x=y", "busybox", "echo", "hello"]);
    const theirs = JSON.parse((await f.docker(["inspect", "insp"])).stdout)[0];
    const ours = JSON.parse(await f.env.ok(["inspect", "insp"]))[0];
    expect(theirs.Id).toBe(ours.Id);
    expect(theirs.Name).toBe("/insp");
    expect(theirs.Config.Labels).toEqual({ x: "y" });
    expect(theirs.Config.Env).toContain("A=1");
    expect(theirs.State.Status).toBe("created");
    expect(theirs.Config.Cmd).toEqual(["echo", "hello"]);
    expect((await f.docker(["inspect", "-f", "{{.Name}} {{.Config.Image}}", "insp"])).stdout).toBe("/insp busybox\n");
    await f.docker(["rm", "insp"]);
  });

  test("logs -f follows until the container exits; logs --tail and -t", async () => {
    await f.docker(["run", "-d", "--name", "follow", "busybox", "sh", "-c", `echo first; echo to-err >&2; ${ticker(0).replace("echo tick $i; ", "")}`]);
    const logs = f.dockerProcess(["logs", "-f", "follow"]);
    await logs.printed(/first\n/);
    expect((await f.docker(["exec", "follow", "touch", "/tmp/stop"])).code).toBe(0);
    expect(await logs.exited).toBe(0);
    expect(logs.stdout()).toBe("first\nbye\n");
    expect(logs.stderr()).toBe("to-err\n");
    expect((await f.docker(["logs", "--tail", "1", "follow"])).stdout).toBe("bye\n");
    expect((await f.docker(["logs", "-t", "follow"])).stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z first\n/);
    await f.docker(["rm", "follow"]);
  });

  test("wait prints the exit code; attach shows a running container's output and ends with its code", async () => {
    await f.docker(["run", "-d", "--name", "att", "busybox", "sh", "-c", ticker(7)]);
    const attach = f.dockerProcess(["attach", "att"]);
    await attach.printed(/tick \d+\n/);
    const wait = f.dockerProcess(["wait", "att"]);
    await f.docker(["exec", "att", "touch", "/tmp/stop"]);
    expect(await attach.exited).toBe(7);
    expect(attach.stdout()).toMatch(/tick \d+\nbye\n$/);
    expect(await wait.exited).toBe(0);
    expect(wait.stdout()).toBe("7\n");
    await f.docker(["rm", "att"]);
  });
});

describe.skipIf(isRoot || !dockerCli)("docker exec", () => {
  beforeAll(async () => {
    await f.docker(["run", "-d", "--name", "box", "busybox", "sleep", "600"]);
  });
  afterAll(async () => {
    await f.docker(["rm", "-f", "box"]);
  });

  test("output apart on stdout and stderr, and the exit code", async () => {
    expect(await f.docker(["exec", "box", "sh", "-c", "echo out; echo err >&2; exit 5"])).toEqual({ code: 5, stdout: "out\n", stderr: "err\n" });
    expect(await f.docker(["exec", "box", "true"])).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  test("-i with stdin piped, large input whole", async () => {
    expect(await f.docker(["exec", "-i", "box", "sh", "-c", "tr a-z A-Z"], "hello from stdin\n")).toEqual({ code: 0, stdout: "HELLO FROM STDIN\n", stderr: "" });
    const input = Array.from({ length: 20000 }, (_, i) => `line ${i}`).join("\n") + "\n";
    const r = await f.docker(["exec", "-i", "box", "cat"], input);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(input);
  });

  test("-e, -w and -u reach the process; -d returns at once; a stopped container is refused", async () => {
    expect((await f.docker(["exec", "-e", "GREETING=hey", "-w", "/tmp", "-u", "1000", "box", "sh", "-c", 'echo "$GREETING $(pwd) $(id -u)"'])).stdout).toBe("hey /tmp 1000\n");
    expect((await f.docker(["exec", "-d", "box", "touch", "/tmp/from-detached"])).code).toBe(0);
    await f.docker(["create", "--name", "idle", "busybox", "true"]);
    const refused = await f.docker(["exec", "idle", "true"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^Error response from daemon: container [0-9a-f]{64} is not running\n/);
    await f.docker(["rm", "idle"]);
  });
});

describe.skipIf(isRoot || !dockerCli)("docker cp", () => {
  test("both ways with a running container, and into one created but not started", async () => {
    const host = join(f.env.base, "work");
    writeFileSync(join(host, "in.txt"), "from the host\n");
    await f.docker(["run", "-d", "--name", "cpbox", "busybox", "sleep", "300"]);
    expect((await f.docker(["cp", join(host, "in.txt"), "cpbox:/tmp/"])).code).toBe(0);
    expect((await f.docker(["exec", "cpbox", "cat", "/tmp/in.txt"])).stdout).toBe("from the host\n");
    await f.docker(["exec", "cpbox", "sh", "-c", "mkdir -p /data/sub && echo inside > /data/sub/f && ln -s f /data/sub/link"]);
    const out = await f.docker(["cp", "cpbox:/data", join(host, "copied")]);
    expect(out.code, out.stderr).toBe(0);
    expect(readFileSync(join(host, "copied", "sub", "f"), "utf8")).toBe("inside\n");
    expect(spawnSync("readlink", [join(host, "copied", "sub", "link")], { encoding: "utf8" }).stdout).toBe("f\n");
    const missing = await f.docker(["cp", "cpbox:/no/such", join(host, "x")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("Could not find the file /no/such in container cpbox");

    await f.docker(["create", "--name", "notyet", "busybox", "cat", "/etc/greeting"]);
    expect((await f.docker(["cp", join(host, "in.txt"), "notyet:/etc/greeting"])).code).toBe(0);
    expect(await f.docker(["start", "-a", "notyet"])).toEqual({ code: 0, stdout: "from the host\n", stderr: "" });
    await f.docker(["rm", "-f", "cpbox", "notyet"]);
  });

  test("export: the root filesystem as a tar", async () => {
    await f.docker(["run", "--name", "exported", "busybox", "sh", "-c", "echo mine > /mine"]);
    const tarFile = join(f.env.base, "work", "exported.tar");
    expect((await f.docker(["export", "-o", tarFile, "exported"])).code).toBe(0);
    const entries = spawnSync("tar", ["-tf", tarFile], { encoding: "utf8" }).stdout.split("\n");
    expect(entries.map((n) => n.replace(/^\.?\//, ""))).toEqual(expect.arrayContaining(["bin/busybox", "etc/passwd", "mine"]));
    const mine = entries.find((n) => n.replace(/^\.?\//, "") === "mine")!;
    expect(spawnSync("tar", ["-xOf", tarFile, mine], { encoding: "utf8" }).stdout).toBe("mine\n");
    await f.docker(["rm", "exported"]);
  });
});

describe.skipIf(isRoot || !dockerCli)("the lifecycle commands", () => {
  test("stop, kill, restart, rename, pause, unpause, rm -f", async () => {
    await f.docker(["run", "-d", "--name", "life", "--init", "busybox", "sleep", "600"]);
    expect((await f.docker(["pause", "life"])).stdout).toBe("life\n");
    expect((await f.docker(["inspect", "-f", "{{.State.Status}} {{.State.Paused}}", "life"])).stdout).toBe("paused true\n");
    expect((await f.docker(["unpause", "life"])).stdout).toBe("life\n");
    expect((await f.docker(["stop", "-t", "5", "life"])).stdout).toBe("life\n");
    expect((await f.docker(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "life"])).stdout).toMatch(/^exited (143|137)\n$/);
    // A stopped container: stop is no error (304), kill is one (409).
    expect((await f.docker(["stop", "life"])).code).toBe(0);
    const kill = await f.docker(["kill", "life"]);
    expect(kill.code).toBe(1);
    expect(kill.stderr).toMatch(/is not running/);
    expect((await f.docker(["restart", "life"])).code).toBe(0);
    expect((await f.docker(["inspect", "-f", "{{.State.Running}}", "life"])).stdout).toBe("true\n");
    expect((await f.docker(["rename", "life", "renamed"])).code).toBe(0);
    expect((await f.docker(["kill", "-s", "KILL", "renamed"])).stdout).toBe("renamed\n");
    expect((await f.docker(["inspect", "-f", "{{.State.ExitCode}}", "renamed"])).stdout).toBe("137\n");
    await f.docker(["start", "renamed"]);
    const rm = await f.docker(["rm", "renamed"]);
    expect(rm.code).toBe(1);
    expect(rm.stderr).toContain('cannot remove container "/renamed": container is running');
    expect((await f.docker(["rm", "-f", "renamed"])).stdout).toBe("renamed\n");
    expect((await f.docker(["ps", "-aq"])).stdout).toBe("");
  });

  test("update --restart reaches a running container: its next failure restarts it", async () => {
    await f.docker(["run", "-d", "--name", "upd", "busybox", "sh", "-c", "while [ ! -f /tmp/crash ]; do sleep 0.1; done; exit 1"]);
    const u = await f.docker(["update", "--restart", "on-failure:1", "upd"]);
    expect(u).toEqual({ code: 0, stdout: "upd\n", stderr: "" });
    expect((await f.docker(["inspect", "-f", "{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}", "upd"])).stdout).toBe("on-failure:1\n");
    await f.docker(["exec", "upd", "touch", "/tmp/crash"]);
    // It fails, is started once more by the policy given after its start, fails again (the file stays), and stays down.
    expect((await f.docker(["wait", "upd"])).stdout).toBe("1\n");
    expect((await f.docker(["inspect", "-f", "{{.RestartCount}} {{.State.Status}}", "upd"])).stdout).toBe("1 exited\n");
    const limits = await f.docker(["update", "--memory", "64m", "upd"]);
    // The docker CLI prints the daemon's warnings on stdout, after the names.
    expect(limits.code).toBe(0);
    expect(limits.stdout).toMatch(/^upd\nMemory not updated: .*\n$/);
    expect(await f.env.ok(["update", "--memory", "64m", "upd"])).toBe(limits.stdout);
    await f.docker(["rm", "upd"]);
  });

  test("container prune removes what is not running and says what it freed", async () => {
    const gone = (await f.docker(["create", "busybox", "true"])).stdout.trim();
    await f.docker(["run", "-d", "--name", "stays", "busybox", "sleep", "600"]);
    const r = await f.docker(["container", "prune", "-f"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Deleted Containers:\n${gone}\n\nTotal reclaimed space: \\d`));
    expect((await f.docker(["ps", "-a", "--format", "{{.Names}}"])).stdout).toBe("stays\n");
    await f.docker(["rm", "-f", "stays"]);
  });

  test("top, stats --no-stream, port, diff", async () => {
    await f.docker(["run", "-d", "--name", "info", "-p", "127.0.0.1::80", "busybox", "sh", "-c", "touch /tmp/made; exec sleep 600"]);
    const top = await f.docker(["top", "info"]);
    expect(top.code, top.stderr).toBe(0);
    expect(top.stdout).toMatch(/^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/m);
    expect(top.stdout).toMatch(/sleep 600/);
    const stats = await f.docker(["stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}} {{.CPUPerc}} {{.MemUsage}}", "info"]);
    expect(stats.code, stats.stderr).toBe(0);
    expect(stats.stdout).toMatch(/^info 1 \d+\.\d\d% [\d.]+[KMG]i?B \/ [\d.]+[KMG]i?B\n$/);
    const port = await f.docker(["port", "info", "80"]);
    expect(port.stdout).toMatch(/^127\.0\.0\.1:\d+\n$/);
    const diff = await f.docker(["diff", "info"]);
    expect(diff.stdout.split("\n")).toEqual(expect.arrayContaining(["C /tmp", "A /tmp/made"]));
    await f.docker(["rm", "-f", "info"]);
  });

  test("commit: a new image, named, with --change, that runs", async () => {
    await f.docker(["run", "--name", "tocommit", "busybox", "sh", "-c", "echo baked > /baked"]);
    const c = await f.docker(["commit", "-c", "ENV BAKED=yes", "-m", "a message", "tocommit", "committed:v1"]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect((await f.env.ok(["image", "inspect", "-f", "{{.Id}} {{.Comment}}", "committed:v1"])).trim()).toBe(`${c.stdout.trim()} a message`);
    expect(await f.docker(["run", "--rm", "committed:v1", "sh", "-c", "cat /baked; echo $BAKED"])).toEqual({ code: 0, stdout: "baked\nyes\n", stderr: "" });
    await f.docker(["rm", "tocommit"]);
  });
});

describe.skipIf(isRoot || !dockerCli)("docker network", () => {
  test("create, ls, inspect, connect, disconnect, rm; containers reach each other by name", async () => {
    const created = await f.docker(["network", "create", "--label", "team=api", "appnet"]);
    expect(created.code, created.stderr).toBe(0);
    const ls = await f.docker(["network", "ls", "--format", "{{.Name}} {{.Driver}}"]);
    expect(ls.stdout.split("\n")).toEqual(expect.arrayContaining(["appnet bridge", "bridge slirp4netns", "host host", "none null"]));
    expect((await f.docker(["network", "inspect", "-f", "{{.Name}} {{.Labels}} {{.Options}}", "appnet"])).stdout).toBe("appnet map[team:api] map[]\n");

    await f.docker(["run", "-d", "--name", "server", "--network", "appnet", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc"]);
    const fetched = await f.docker(["run", "--rm", "--network", "appnet", "busybox", "wget", "-qO-", "http://server/group"]);
    expect(fetched.code, fetched.stderr).toBe(0);
    expect(fetched.stdout).toContain("root:x:0:");
    expect((await f.docker(["network", "inspect", "-f", "{{range .Containers}}{{.Name}} {{end}}", "appnet"])).stdout).toBe("server \n");

    // A container on the default network, connected later: found by its alias from the network.
    const client = (await f.docker(["run", "-d", "--name", "client", "busybox", "httpd", "-f", "-p", "8080", "-h", "/etc"])).stdout.trim();
    expect((await f.docker(["network", "connect", "--alias", "cli", "appnet", "client"])).code).toBe(0);
    const aliases = (await f.docker(["inspect", "-f", "{{json .NetworkSettings.Networks.appnet.Aliases}}", "client"])).stdout;
    expect(JSON.parse(aliases)).toEqual(expect.arrayContaining(["cli", client.slice(0, 12)]));
    const reached = await f.docker(["exec", "server", "wget", "-qO-", "http://cli:8080/passwd"]);
    expect(reached.stdout).toContain("root:x:0:0:");
    expect((await f.docker(["network", "disconnect", "appnet", "client"])).code).toBe(0);
    const busy = await f.docker(["network", "rm", "appnet"]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain("has active endpoints");
    await f.docker(["rm", "-f", "server", "client"]);
    expect((await f.docker(["network", "rm", "appnet"])).stdout).toBe("appnet\n");
    await f.docker(["network", "create", "unused"]);
    const pruned = await f.docker(["network", "prune", "-f"]);
    expect(pruned.stdout).toBe("Deleted Networks:\nunused\n\n");
    expect((await f.docker(["network", "ls", "--format", "{{.Name}}"])).stdout).toBe("bridge\nhost\nnone\n");
  });
});
