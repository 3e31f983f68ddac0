import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SkiffEnv, isRoot, skiffBin } from "../../helpers/cli.js";
import { loadBusybox } from "../../helpers/busybox.js";

// `run -it`, detaching with Ctrl-P Ctrl-Q and re-attaching, driven through a
// real terminal: a private tmux server.

const hasTmux = spawnSync("tmux", ["-V"]).status === 0;
let env: SkiffEnv;
const server = `skiff-test-${process.pid}`;

function tmux(...args: string[]): string {
  const r = spawnSync("tmux", ["-L", server, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`tmux ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

async function screenShows(session: string, re: RegExp, ms = 8000): Promise<string> {
  const end = Date.now() + ms;
  let text = "";
  while (Date.now() < end) {
    text = tmux("capture-pane", "-p", "-t", session);
    if (re.test(text)) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`screen never showed ${re}:\n${text}`);
}

function start(session: string, cmd: string): void {
  const vars = Object.entries(env.env)
    .filter(([k, v]) => v !== undefined && /^(XDG_|PATH$|HOME$)/.test(k))
    .flatMap(([k, v]) => ["-e", `${k}=${v}`]);
  tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", ...vars, `${process.execPath} ${skiffBin} ${cmd}; echo "EXIT:$?"; sleep 30`);
}

beforeAll(async () => {
  env = new SkiffEnv();
  await loadBusybox(env);
});
afterAll(() => {
  spawnSync("tmux", ["-L", server, "kill-server"]);
  env?.cleanup();
});

describe.skipIf(isRoot || !hasTmux)("run -it in a terminal", () => {
  test("a real interactive shell: tty, TERM, window size and its changes", async () => {
    start("a", "run -it --rm --name ttybox busybox sh");
    await screenShows("a", /# ?$/m);
    tmux("send-keys", "-t", "a", "tty; echo term=$TERM; stty size", "Enter");
    const s = await screenShows("a", /^\d+ \d+\s*$/m);
    expect(s).toMatch(/^\/dev\/pts\/0\s*$/m);
    expect(s).toMatch(/^term=xterm\s*$/m);
    expect(s).toMatch(/^24 80\s*$/m);
    tmux("resize-window", "-t", "a", "-x", "100", "-y", "30");
    await new Promise((r) => setTimeout(r, 300));
    tmux("send-keys", "-t", "a", "clear; stty size", "Enter");
    await screenShows("a", /^30 100\s*$/m);
    tmux("send-keys", "-t", "a", "exit 4", "Enter");
    await screenShows("a", /EXIT:4/);
  });

  test("Ctrl-P Ctrl-Q detaches and leaves it running; attach comes back", async () => {
    start("b", "run -it --name detachme busybox sh");
    await screenShows("b", /# ?$/m);
    tmux("send-keys", "-t", "b", "echo before > /tmp/mark", "Enter");
    tmux("send-keys", "-t", "b", "C-p", "C-q");
    await screenShows("b", /EXIT:0/);
    expect((await env.ok(["inspect", "-f", "{{.State.Status}}", "detachme"])).trim()).toBe("running");
    start("c", "attach detachme");
    await new Promise((r) => setTimeout(r, 500));
    tmux("send-keys", "-t", "c", "cat /tmp/mark", "Enter");
    await screenShows("c", /^before\s*$/m);
    tmux("send-keys", "-t", "c", "exit 0", "Enter");
    await screenShows("c", /EXIT:0/);
    expect((await env.ok(["inspect", "-f", "{{.State.Status}}", "detachme"])).trim()).toBe("exited");
    await env.ok(["rm", "detachme"]);
  });

  test("exec -it gets its own terminal in the container", async () => {
    await env.ok(["run", "-d", "--name", "host4exec", "busybox", "sleep", "60"]);
    start("d", "exec -it host4exec sh");
    await screenShows("d", /# ?$/m);
    tmux("send-keys", "-t", "d", "tty; stty size", "Enter");
    const s = await screenShows("d", /^24 80\s*$/m);
    expect(s).toMatch(/^\/dev\/pts\/\d+\s*$/m);
    tmux("send-keys", "-t", "d", "exit 3", "Enter");
    await screenShows("d", /EXIT:3/);
    await env.ok(["rm", "-f", "host4exec"]);
  });
});
