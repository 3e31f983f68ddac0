import { InvalidArgumentError } from "../../errors.js";
import { parseDetachKeys, relay } from "../../container/attach.js";
import { createExec, startExec } from "../../engine/exec.js";
import { ExitCode, type CliContext } from "../context.js";

// `exec`: create the exec, start it attached (or detached with -d), relay
// the terminal or the streams, end with its exit code.

type Opts = Record<string, unknown>;

export async function execCommand(ctx: CliContext, container: string, command: string[], o: Opts): Promise<void> {
  ctx.errorExitCode = 126;
  const engine = await ctx.engine();
  if (o.tty && o.interactive && !process.stdin.isTTY) throw new InvalidArgumentError("the input device is not a TTY", "drop -t, or run it from a terminal");
  const id = createExec(engine, container, {
    cmd: command,
    env: (o.env as string[]) ?? [],
    envFile: (o.envFile as string[]) ?? [],
    workdir: o.workdir as string | undefined,
    user: o.user as string | undefined,
    tty: Boolean(o.tty),
    interactive: Boolean(o.interactive),
    privileged: Boolean(o.privileged),
  });
  const launched = await startExec(engine, id, { detach: Boolean(o.detach) });
  if (o.detach) return;
  const raw = Boolean(o.tty && o.interactive && process.stdin.isTTY);
  if (raw) process.stdin.setRawMode(true);
  try {
    const end = await relay(launched.attach!, {
      stdin: o.interactive ? process.stdin : undefined,
      stdout: process.stdout,
      stderr: process.stderr,
      tty: Boolean(o.tty),
      detachKeys: parseDetachKeys(o.detachKeys as string | undefined),
      size: () => (process.stdout.isTTY ? { rows: process.stdout.rows, cols: process.stdout.columns } : undefined),
      onResize: (fn) => {
        process.stdout.on("resize", fn);
        return () => process.stdout.off("resize", fn);
      },
    });
    if (end.kind === "exit") throw new ExitCode(end.code);
  } finally {
    if (raw) process.stdin.setRawMode(false);
    launched.attach!.destroy();
  }
}
