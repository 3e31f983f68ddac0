import { asSkiffError } from "../errors.js";
import type { CopyEvent } from "../image/transport.js";
import { Engine } from "./engine.js";
import type { InsideLine, InsideRequest } from "./inside.js";
import { pull, type PullOptions } from "./pull.js";

// The internal entry point's other end (see inside.ts): run inside skiff's
// user namespace, read one request on stdin, run the verb, answer on stdout.

type InsideVerb = (engine: Engine, args: never, progress: (e: CopyEvent) => void) => Promise<unknown>;

const VERBS: Record<string, InsideVerb> = {
  pull: (engine, a: { name: string; opts: PullOptions }, progress) => pull(engine, a.name, a.opts, progress),
};

export async function insideMain(): Promise<number> {
  delete process.env.SKIFF_INSIDE; // not for what this process starts
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const write = (line: InsideLine) => process.stdout.write(`${JSON.stringify(line)}\n`);
  try {
    const req = JSON.parse(Buffer.concat(chunks).toString()) as InsideRequest;
    const verb = VERBS[req.verb];
    if (!verb) throw new Error(`no verb ${req.verb} runs inside the namespace`);
    const engine = Engine.open({ ...req.options, inNamespace: true, onWarning: (warning) => write({ warning }) });
    write({ result: await verb(engine, req.args as never, (event) => write({ event })) });
  } catch (err) {
    const e = asSkiffError(err);
    write({ error: { message: e.message, hint: e.hint, code: e.codeIsExplicit ? e.code : undefined, status: e.status } });
  }
  // Everything written reaches the reader before the process ends.
  await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
  return 0;
}
