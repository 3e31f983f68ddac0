import type { Engine } from "../../engine/engine.js";
import { createExec, inspectExec, openExecSession, resizeExec, startExec } from "../../engine/exec.js";
import { InvalidArgumentError } from "../../errors.js";
import type { ApiCall } from "../call.js";
import type { StreamSession } from "../hijack.js";
import type { Route } from "../router.js";
import { terminalSize } from "./container-streams.js";

// exec (moby daemon/server/router/container/exec.go): create, start
// (hijacked, or detached with no stream), resize, inspect. `docker exec`
// inspects the exec once, the moment its stream ends: the exit code is in
// the exec's state files by then (the monitor writes them before it closes).

interface ExecCreateBody {
  AttachStdin?: boolean;
  Tty?: boolean;
  Cmd?: string[] | string | null;
  Env?: string[] | null;
  WorkingDir?: string;
  User?: string;
  Privileged?: boolean;
  DetachKeys?: string;
}

const CREATE_SHAPE = { AttachStdin: "boolean", AttachStdout: "boolean", AttachStderr: "boolean", Tty: "boolean", Cmd: "any", Env: ["string"], WorkingDir: "string", User: "string", Privileged: "boolean", DetachKeys: "string" } as const;

async function create(engine: Engine, c: ApiCall): Promise<void> {
  const body = (await c.json<ExecCreateBody>(CREATE_SHAPE)) ?? {};
  // Go's strslice: a string is a one-word command.
  const cmd = typeof body.Cmd === "string" ? [body.Cmd] : (body.Cmd ?? []);
  if (!Array.isArray(cmd) || !cmd.every((w) => typeof w === "string")) throw new InvalidArgumentError("invalid JSON: json: cannot unmarshal into Go struct field Cmd of type strslice.StrSlice");
  if (cmd.length === 0) throw new InvalidArgumentError("No exec command specified");
  const id = createExec(
    engine,
    c.param("name"),
    { cmd, env: body.Env ?? [], envFile: [], workdir: body.WorkingDir || undefined, user: body.User || undefined, tty: Boolean(body.Tty), interactive: Boolean(body.AttachStdin), privileged: Boolean(body.Privileged) },
    body.DetachKeys,
  );
  c.send(201, { Id: id });
}

async function start(engine: Engine, c: ApiCall): Promise<StreamSession | undefined> {
  const body = (await c.json<{ Detach?: boolean; Tty?: boolean; ConsoleSize?: [number, number] | null }>({ Detach: "boolean", Tty: "boolean", ConsoleSize: ["integer"] })) ?? {};
  const id = c.param("id");
  if (body.Detach) {
    await startExec(engine, id, { detach: true });
    return undefined;
  }
  const consoleSize = body.ConsoleSize?.length === 2 ? body.ConsoleSize : undefined;
  const s = await openExecSession(engine, id, { tty: body.Tty, consoleSize });
  return { tty: s.tty, stdin: s.stdin, stdout: s.stdout, stderr: s.stderr, exited: s.exited, clientGone: () => s.detach() };
}

export function execRoutes(engine: Engine): Route[] {
  return [
    { method: "POST", path: "/containers/{name}/exec", handle: (c) => create(engine, c) },
    { method: "POST", path: "/exec/{id}/start", hijack: (c) => start(engine, c) },
    {
      method: "POST",
      path: "/exec/{id}/resize",
      handle: async (c) => {
        const { rows, cols } = terminalSize(c);
        resizeExec(engine, c.param("id"), rows, cols);
        c.sendStatus(200);
      },
    },
    { method: "GET", path: "/exec/{id}/json", handle: async (c) => c.send(200, inspectExec(engine, c.param("id"))) },
  ];
}
