import { lstatSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { adoptUpperAsLayer, layerFromChanges, upperChanges, type CommitDeps } from "../container/commit.js";
import type { ContainerCreateBody } from "../container/create-body.js";
import { parseMountFlag } from "../container/create-flags.js";
import { relay } from "../container/attach.js";
import type { ContainerRecord } from "../container/record.js";
import type { ContainerService } from "../container/service.js";
import { OPAQUE_MARKER } from "../layer/paths.js";
import type { LayerRecord } from "../layer/store.js";
import { unmount } from "../mount/overlay.js";

// Build steps that change files run in a skiff container made from the
// step's parent image, as the classic builder does: RUN starts it, COPY and
// WORKDIR only mount its root and write there. Its upper dir is the step's
// change set; when the container is thrown away right after, that dir is
// renamed into the layer store rather than copied (adoptUpperAsLayer).

export interface StepDeps extends CommitDeps {
  containers: ContainerService;
}

export interface StepContainerOptions {
  command?: string[];
  env?: string[];
  workdir?: string;
  user?: string;
  network?: string;
  /** `--mount` specs (type=bind|tmpfs,…). */
  mounts?: string[];
}

export async function createStepContainer(deps: StepDeps, imageId: string, o: StepContainerOptions): Promise<ContainerRecord> {
  // A step runs its command as given: the image's entrypoint is reset ([""]), as Docker's builder does.
  const body: ContainerCreateBody = {
    Image: imageId,
    Cmd: o.command ?? [],
    Entrypoint: [""],
    Env: o.env ?? [],
    WorkingDir: o.workdir ?? "",
    User: o.user ?? "",
    HostConfig: { NetworkMode: o.network || "default", Mounts: (o.mounts ?? []).map(parseMountFlag) },
  };
  return deps.containers.create(body, {}, "overlay");
}

/** Start the container and wait for its exit, its output (stdout and stderr) into `sink`. Returns the exit code. */
export async function runStepContainer(deps: StepDeps, id: string, sink: NodeJS.WritableStream): Promise<number> {
  const started = await deps.containers.start(id, { attach: true });
  const conn = started.attach!;
  try {
    const end = await relay(conn, { stdout: sink as Writable, stderr: sink as Writable });
    if (end.kind === "exit") {
      await deps.containers.wait(id);
      return end.code;
    }
  } finally {
    conn.destroy();
  }
  return deps.containers.wait(id);
}

/**
 * The container's changes as a layer on `parentChainId`. With `keep`, the
 * upper dir stays (the container is kept: --rm=false or a failed step).
 */
export async function stepLayer(
  deps: StepDeps,
  id: string,
  parentChainId: string | undefined,
  keep: boolean,
  mountPoints: { paths: string[]; inImage: (path: string) => boolean } = { paths: [], inImage: () => true },
): Promise<LayerRecord> {
  const dir = deps.containers.store.dir(id);
  await unmount(join(dir, "merged"));
  const upper = join(dir, "upper");
  for (const p of mountPoints.paths) dropMountPoint(upper, p, mountPoints.inImage);
  const changes = await upperChanges(upper);
  return keep ? layerFromChanges(deps, upper, changes, parentChainId) : adoptUpperAsLayer(deps, upper, changes, parentChainId);
}

/** Collects output (quiet builds print it only when a step fails). */
export class OutputBuffer extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    cb();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString();
  }
}

/**
 * A RUN --mount target the image did not have is made by the runtime as an
 * empty directory (or file) in the upper dir; it is no part of the step's
 * result (BuildKit leaves it out too), nor are the empty parents made for
 * it. `inImage` says which paths the image already had: those stay.
 */
export function dropMountPoint(upper: string, path: string, inImage: (path: string) => boolean): void {
  const parts = path.split("/").filter(Boolean);
  for (let n = parts.length; n > 0; n--) {
    const rel = parts.slice(0, n).join("/");
    if (inImage(`/${rel}`)) return;
    const p = join(upper, rel);
    try {
      const st = lstatSync(p);
      if (st.isDirectory()) {
        // fuse-overlayfs marks a directory it creates opaque; its bookkeeping names do not count.
        if (!readdirSync(p).every((n) => n === OPAQUE_MARKER || n === ".wh..opq")) return;
        rmSync(p, { recursive: true });
      } else if (st.isFile() && st.size === 0) rmSync(p);
      else return;
    } catch {
      return;
    }
  }
}
