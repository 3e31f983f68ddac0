import type { Readable } from "node:stream";
import { asSkiffError, InvalidArgumentError, SkiffError } from "../errors.js";
import { formatPlatform, hostPlatform, matches, parsePlatform } from "../image/platform.js";
import { Builder } from "../builder/builder.js";
import { openContext } from "../builder/context.js";
import { parseReference } from "../image/reference.js";
import type { Progress } from "../image/transport.js";
import type { Credentials } from "../registry/client.js";
import type { Engine } from "./engine.js";
import { mountImage, unmountImage } from "./image-mount.js";
import { ensureImage, parseUserReference } from "./pull.js";

// `build` (the classic builder): the context opened (a directory, or a tar
// or bare Dockerfile streamed in — `build -` and the API's request body),
// the Builder wired to the services, and its output — Docker's "Step 1/3 :"
// text, ending with "Successfully built" — written to `out`, as Docker's
// daemon produces it for its CLI to print.

export interface BuildRequest {
  /** A host directory, or a stream of the context. */
  context: { path: string } | { stream: Readable };
  /** The Dockerfile: a path, or "-" with its text. */
  file?: string;
  dockerfileText?: string;
  tags?: string[];
  buildArgs?: Map<string, string>;
  target?: string;
  noCache?: boolean;
  pull?: boolean;
  quiet?: boolean;
  labels?: string[];
  network?: string;
  /** Remove intermediate containers after a successful build (default true). */
  rm?: boolean;
  /** Remove them after a failed one too. */
  forceRm?: boolean;
  /** The platform asked for: only this host's can be built (the classic builder runs RUN steps here). */
  platform?: string;
  /** Credentials per registry host for base images (the API's X-Registry-Config), instead of the stored logins. */
  registryAuth?: Map<string, Credentials>;
  /** Cancels the build (an API client that hung up). */
  signal?: AbortSignal;
  /** Told the image id just before "Successfully built". */
  onBuilt?: (id: string) => void;
}

export async function build(engine: Engine, req: BuildRequest, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<{ id: string }> {
  // Docker's build ends with status 1 whatever went wrong.
  try {
    if (engine.storageDriver !== "overlay")
      throw new SkiffError("build needs the overlay storage driver (fuse-overlayfs)", { hint: "make /dev/fuse usable and install fuse-overlayfs (skiff info)" });
    if (req.platform && !matches(parsePlatform(req.platform), hostPlatform()))
      throw new InvalidArgumentError(`cannot build for ${req.platform}: skiff builds for this host's platform (${formatPlatform(hostPlatform())})`, "leave out --platform, or build on a machine of that platform");
    const tags = (req.tags ?? []).map((t) => parseReference(t).toString());
    const ctx = await openContext({ ...req.context, file: req.file, dockerfileText: req.dockerfileText, tmpDir: engine.layout.tempPath("build-context") });
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
          mountImage: (id) => mountImage(engine, id),
          unmountImage: async (id) => {
            await unmountImage(engine, id);
          },
          // A base image's pull is reported beside the build's output.
          ensureImage: (ref, pull) =>
            ensureImage(engine, ref, { pull, auth: req.registryAuth?.get(parseUserReference(engine, ref).domain), signal: req.signal }, req.quiet ? undefined : statusLines(err)),
        },
        {
          tags,
          buildArgs: req.buildArgs ?? new Map(),
          target: req.target,
          noCache: Boolean(req.noCache),
          pull: Boolean(req.pull),
          quiet: Boolean(req.quiet),
          labels: req.labels ?? [],
          network: req.network,
          keepFailed: !req.forceRm,
          keepContainers: req.rm === false && !req.forceRm,
          out,
          err,
          signal: req.signal,
          onBuilt: req.onBuilt,
        },
      );
      return { id: await builder.build(ctx) };
    } finally {
      ctx.close();
    }
  } catch (e) {
    const x = asSkiffError(e);
    throw new SkiffError(x.message, { code: 1, hint: x.hint, status: x.status, cause: e });
  }
}

/** Progress as plain lines, one per change of a layer's status (byte counts left out). */
function statusLines(out: NodeJS.WritableStream): Progress {
  const last = new Map<string, string>();
  return (e) => {
    if (e.id && last.get(e.id) === e.status) return;
    last.set(e.id, e.status);
    out.write(`${e.id ? `${e.id}: ` : ""}${e.status}\n`);
  };
}
