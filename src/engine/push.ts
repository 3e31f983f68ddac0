import { SkiffError } from "../errors.js";
import { copyImage } from "../image/copy.js";
import { parseReference } from "../image/reference.js";
import { storeSource } from "../image/transports/store-source.js";
import { RegistryDestination } from "../image/transports/registry.js";
import type { Progress } from "../image/transport.js";
import type { Credentials } from "../registry/client.js";
import type { Engine } from "./engine.js";
import { parseUserReference } from "./pull.js";
import { registryClient } from "./registry-client.js";

// `push`: the store transport joined to a registry through the copy
// pipeline; blobs the registry has are skipped, and blobs in other
// repositories of the same registry are mounted instead of uploaded.
// Progress is Docker's daemon's: "The push refers to repository […]" once,
// then per layer, then "TAG: digest: … size: …" for each tag.

export interface PushResult {
  /** The fully qualified reference pushed. */
  name: string;
  tag: string;
  digest: string;
  size: number;
}

/** The local names `push --all-tags` sends for a repository. */
export function tagsOfRepository(engine: Engine, name: string): string[] {
  const ref = parseUserReference(engine, name);
  const names = engine.images
    .list()
    .flatMap((i) => i.tags)
    .filter((t) => parseUserReference(engine, t).repository() === ref.repository());
  if (names.length === 0) throw new SkiffError(`An image does not exist locally with the tag: ${ref.familiarName()}`, { status: 404 });
  return names;
}

export interface PushOptions {
  /** X-Registry-Auth credentials given by an API client, instead of the stored logins. */
  auth?: Credentials;
  /** Cancels the push (an API client that hung up). */
  signal?: AbortSignal;
}

/**
 * `push NAME` (one tag, :latest when none is named) or, with `allTags`, every
 * local tag of the repository; `onPushed` hears of each tag as it is done
 * (the API follows its digest line with the result as "aux").
 */
export async function pushRepository(
  engine: Engine,
  name: string,
  opts: PushOptions & { allTags?: boolean; onPushed?: (r: PushResult) => void } = {},
  progress: Progress = () => {},
): Promise<PushResult[]> {
  const { allTags, onPushed, ...one } = opts;
  progress({ id: "", status: `The push refers to repository [${parseUserReference(engine, name).repository()}]` });
  const names = allTags ? tagsOfRepository(engine, name) : [name];
  const out: PushResult[] = [];
  for (const n of names) {
    const r = await push(engine, n, one, progress);
    onPushed?.(r);
    out.push(r);
  }
  return out;
}

/** One tag to its registry (pushRepository says which repository first). */
export async function push(engine: Engine, name: string, opts: PushOptions = {}, progress: Progress = () => {}): Promise<PushResult> {
  const ref = parseUserReference(engine, name);
  const target = ref.tag || ref.digest ? ref : ref.withTag("latest");
  let image;
  try {
    image = engine.images.get(target.toString());
  } catch {
    throw new SkiffError(`An image does not exist locally with the tag: ${ref.familiarName()}`, { code: 1, status: 404 });
  }
  // Blobs may already be in other repositories of this registry this image came from or went to.
  const sameRegistry = [...image.tags, ...image.digests]
    .map((n) => parseReference(n))
    .filter((r) => r.domain === target.domain && r.path !== target.path)
    .map((r) => r.path);
  const client = registryClient(engine, target.domain, target.path, opts.auth);
  try {
    const src = storeSource(image, engine.blobs, engine.layers, [target.toString()]);
    const result = await copyImage(src, new RegistryDestination(client, target, [...new Set(sameRegistry)]), progress, { signal: opts.signal });
    await engine.images.records.editNames((index) => {
      index.digests[`${target.repository()}@${result.manifestDigest}`] = image.record.id;
    });
    engine.images.logEvent("push", target.familiarString(), target.familiarName());
    const r = { name: target.toString(), tag: target.tag ?? "latest", digest: result.manifestDigest, size: src.manifestRaw.length };
    progress({ id: "", status: `${r.tag}: digest: ${r.digest} size: ${r.size}` });
    return r;
  } finally {
    client.close();
  }
}
