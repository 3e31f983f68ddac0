import { writeFileSync } from "node:fs";
import type { Engine } from "../../engine/engine.js";
import { asSkiffError, SkiffError } from "../../errors.js";
import { parseReference } from "../../image/reference.js";

// What commit and build do and print (Docker's output).

export async function commitCommand(
  engine: Engine,
  container: string,
  repo: string | undefined,
  o: { author?: string; change: string[]; message?: string; pause: boolean },
): Promise<void> {
  const { commitContainer } = await import("../../container/commit.js");
  const names = repo ? [parseReference(repo).toString()] : [];
  const id = await commitContainer(
    { images: engine.images, blobs: engine.blobs, layers: engine.layers, locks: engine.locks, containers: engine.containers },
    container,
    { author: o.author, message: o.message, changes: o.change, pause: o.pause !== false, names },
  );
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

/** --build-arg K=V, or a bare K taking our environment's value (skipped when unset), as Docker. */
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
  const { openContext } = await import("../../builder/context.js");
  const { Builder } = await import("../../builder/builder.js");
  // Docker's build ends with status 1 whatever went wrong.
  try {
    if (engine.storageDriver !== "overlay")
      throw new SkiffError("build needs the overlay storage driver (fuse-overlayfs)", { hint: "make /dev/fuse usable and install fuse-overlayfs (skiff info)" });
    const tags = o.tag.map((t) => parseReference(t).toString());
    const ctx = await openContext(path, { file: o.file, tmpDir: engine.layout.tempPath("build-context") });
    try {
      const builder = new Builder(
        {
          images: engine.images,
          blobs: engine.blobs,
          layers: engine.layers,
          locks: engine.locks,
          containers: engine.containers,
          storageRoot: engine.layout.root,
          tmpPath: (label) => engine.layout.tempPath(label),
          mountImage: async (id) => engine.mountImage(id),
          unmountImage: async (id) => {
            await engine.unmountImage(id);
          },
          ensureImage: (ref, pull) => engine.ensureImage(ref, { pull, quiet: Boolean(o.quiet) }),
        },
        {
          tags,
          buildArgs: buildArgs(o.buildArg),
          target: o.target,
          noCache: o.cache === false,
          pull: Boolean(o.pull),
          quiet: Boolean(o.quiet),
          labels: o.label,
          network: o.network,
          keepFailed: !o.forceRm,
          keepContainers: o.rm === false && !o.forceRm,
          out: process.stdout,
          err: process.stderr,
        },
      );
      const id = await builder.build(ctx);
      if (o.iidfile) writeFileSync(o.iidfile, id);
    } finally {
      ctx.close();
    }
  } catch (e) {
    const err = asSkiffError(e);
    throw new SkiffError(err.message, { code: 1, hint: err.hint, cause: e });
  }
}
