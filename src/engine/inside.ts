import { cliEntry } from "../config/install.js";
import { SkiffError } from "../errors.js";
import type { CopyEvent } from "../image/transport.js";
import type { Engine, EngineOptions } from "./engine.js";

// Some verbs must run inside skiff's user namespace (they write files owned
// by container ids); a process outside it — `skiff run`, which stays outside
// to start quickly — runs such a verb through this internal entry point: the
// same code, started once more inside the namespace, reading its request on
// stdin and answering with JSON lines on stdout ({"event"} progress messages and
// {"warning"}s, then one {"result"} or {"error"}). It is not the CLI: no argv, no printing.

export interface InsideRequest {
  verb: string;
  args: unknown;
  options: EngineOptions;
}

export interface InsideError {
  message: string;
  hint?: string;
  /** Only when the error fixed its exit code. */
  code?: number;
  status: number;
}

export type InsideLine = { event: CopyEvent } | { warning: string } | { result: unknown } | { error: InsideError };

/** Run `verb` inside the namespace and return its result; its progress comes through `progress`. */
export async function runInside(engine: Engine, verb: string, args: unknown, progress: (e: CopyEvent) => void): Promise<unknown> {
  const { child, ready } = engine.userns.spawn([process.execPath, cliEntry], {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, SKIFF_INSIDE: "1", SKIFF_IN_NS: "1" },
    dieWithParent: true,
  });
  const request: InsideRequest = { verb, args, options: { ...engine.options, inNamespace: true } };
  child.stdin!.end(JSON.stringify(request));
  let answer: InsideLine | undefined;
  let pending = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (d: string) => {
    pending += d;
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = JSON.parse(pending.slice(0, nl)) as InsideLine;
      pending = pending.slice(nl + 1);
      if ("event" in line) progress(line.event);
      else if ("warning" in line) engine.options.onWarning?.(line.warning);
      else answer = line;
    }
  });
  const exited = new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? 1)));
  await ready;
  const code = await exited;
  if (answer && "result" in answer) return answer.result;
  if (answer && "error" in answer) {
    const e = answer.error;
    throw new SkiffError(e.message, { hint: e.hint, code: e.code, status: e.status });
  }
  throw new SkiffError(`${verb} inside skiff's user namespace ended without an answer (exit status ${code})`);
}
