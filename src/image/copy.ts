import type { Readable } from "node:stream";
import { CancelledError, InvalidArgumentError } from "../errors.js";
import type { Descriptor } from "./types.js";
import type { CommitResult, ImageDestination, Progress, SourceImage } from "./transport.js";
import { shortId } from "../digest.js";

// copyImage: the one pipeline behind pull, push, save, load and import.
// Layers that the destination already has are skipped; the others are copied
// `destination.concurrency` at a time; config and manifest go last, so a
// destination never names an image whose layers are not all there.
//
// A copy whose requester has gone (an API client that hung up mid-pull) is
// cancelled through `signal`: the layer streams being read are destroyed,
// so their writes fail and clean up as any broken download does, no layer
// is started after it, and the image is never committed. Layers complete
// before the cancel stay in the store, as Docker keeps them, for the next try.

export interface CopyOptions {
  signal?: AbortSignal;
}

/** A layer stream that the signal destroys. */
function cancellable(stream: Readable, signal: AbortSignal | undefined): Readable {
  if (!signal) return stream;
  const cancel = () => stream.destroy(new CancelledError("the copy"));
  if (signal.aborted) cancel();
  else {
    signal.addEventListener("abort", cancel, { once: true });
    stream.once("close", () => signal.removeEventListener("abort", cancel));
  }
  return stream;
}

export async function copyImage(src: SourceImage, dst: ImageDestination, progress: Progress = () => {}, opts: CopyOptions = {}): Promise<CommitResult> {
  const { signal } = opts;
  const layers = src.manifest.layers;
  const diffIds = src.config.rootfs.diff_ids;
  if (layers.length !== diffIds.length)
    throw new InvalidArgumentError(
      `malformed image: the manifest lists ${layers.length} layers but the config ${diffIds.length} diff ids`,
      "the image is corrupt; rebuild or re-export it",
    );
  await dst.begin(src);
  try {
    const out: Descriptor[] = new Array(layers.length);
    const ids = layers.map((l, i) => shortId(l.digest || diffIds[i]!));
    const todo: number[] = [];
    for (let i = 0; i < layers.length; i++) {
      const have = await dst.hasLayer(i, layers[i]!, diffIds[i]!);
      if (have) {
        out[i] = have;
        progress({ id: ids[i]!, status: dst.existsStatus });
      } else todo.push(i);
    }
    let next = 0;
    let failed = false;
    const worker = async () => {
      while (next < todo.length && !failed) {
        const i = todo[next++]!;
        try {
          if (signal?.aborted) throw new CancelledError("the copy");
          out[i] = await dst.putLayer(i, layers[i]!, diffIds[i]!, async () => cancellable(await src.openLayer(i), signal), progress);
        } catch (e) {
          failed = true;
          throw e;
        }
      }
    };
    // Let every running layer finish or fail before giving up, so abort()
    // never races a layer still being written.
    const results = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(dst.concurrency, todo.length)) }, worker));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failure) throw signal?.aborted ? new CancelledError("the copy") : failure.reason;
    if (signal?.aborted) throw new CancelledError("the copy");
    return await dst.commit(src, out);
  } catch (e) {
    await dst.abort();
    throw e;
  }
}
