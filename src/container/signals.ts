import { watch } from "node:fs";
import { constants } from "node:os";
import { InvalidArgumentError } from "../errors.js";

// Signal names as Docker accepts them (KILL, SIGKILL, 9) and a cheap way to
// wait for a container's state files to change.

export function signalNumber(name: string): number {
  if (/^\d+$/.test(name)) {
    const n = Number(name);
    if (n < 1 || n > 64) throw new InvalidArgumentError(`invalid signal: ${name}`);
    return n;
  }
  const up = name.toUpperCase();
  const key = (up.startsWith("SIG") ? up : `SIG${up}`) as keyof typeof constants.signals;
  const n = constants.signals[key];
  if (n === undefined) throw new InvalidArgumentError(`invalid signal: ${name}`);
  return n;
}

/** Resolve when something in `dir` changes, or after `ms` at most. */
export function waitFor(dir: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    let w: ReturnType<typeof watch> | undefined;
    const done = () => {
      clearTimeout(t);
      w?.close();
      resolve();
    };
    const t = setTimeout(done, Math.max(1, ms));
    try {
      w = watch(dir, done);
      w.on("error", done);
    } catch {
      /* directory gone: the timer ends the wait */
    }
  });
}
