import { readFileSync, writeFileSync } from "node:fs";
import type { Engine } from "../../engine/engine.js";
import { build } from "../../engine/build.js";
import { commit } from "../../engine/commit.js";

// commit and build: flags to the engine's verbs; the build's output (Docker's
// classic builder text) goes straight to stdout and stderr.

export async function commitCommand(
  engine: Engine,
  container: string,
  repo: string | undefined,
  o: { author?: string; change: string[]; message?: string; pause: boolean },
): Promise<void> {
  const id = await commit(engine, container, { repo, author: o.author, message: o.message, changes: o.change, pause: o.pause });
  process.stdout.write(`${id}\n`);
}

interface BuildFlags {
  tag: string[];
  file?: string;
  buildArg: string[];
  target?: string;
  cache: boolean;
  pull: boolean;
  quiet?: boolean;
  label: string[];
  iidfile?: string;
  network?: string;
  rm: boolean;
  forceRm?: boolean;
}

/** --build-arg K=V, or a bare K taking our environment's value (skipped when unset), as the docker CLI does. */
function buildArgs(list: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const a of list) {
    const eq = a.indexOf("=");
    if (eq > 0) out.set(a.slice(0, eq), a.slice(eq + 1));
    else if (process.env[a] !== undefined) out.set(a, process.env[a]!);
  }
  return out;
}

export async function buildCommand(engine: Engine, path: string, o: BuildFlags): Promise<void> {
  // `-f -` reads the Dockerfile from stdin (the context then comes from PATH).
  const dockerfileText = o.file === "-" && path !== "-" ? readFileSync(0, "utf8") : undefined;
  const { id } = await build(
    engine,
    {
      context: path === "-" ? { stream: process.stdin } : { path },
      file: o.file,
      dockerfileText,
      tags: o.tag,
      buildArgs: buildArgs(o.buildArg),
      target: o.target,
      noCache: o.cache === false,
      pull: Boolean(o.pull),
      quiet: Boolean(o.quiet),
      labels: o.label,
      network: o.network,
      rm: o.rm,
      forceRm: o.forceRm,
    },
    process.stdout,
    process.stderr,
  );
  if (o.iidfile) writeFileSync(o.iidfile, id);
}
