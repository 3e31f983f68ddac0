import { SkiffError } from "../errors.js";
import { copyImage } from "../image/copy.js";
import { hostPlatform, parsePlatform } from "../image/platform.js";
import { parseReference, type Reference } from "../image/reference.js";
import { storeSource } from "../image/transports/store-source.js";
import { RegistryDestination, registryImage, type RegistryImage } from "../image/transports/registry.js";
import type { CopyEvent } from "../image/transport.js";
import { RegistryClient } from "../registry/client.js";
import { lookupCredentials } from "../registry/credentials.js";
import type { Engine } from "./engine.js";

// pull and push: the registry transport joined to the store through the
// copy pipeline, with mirrors and insecure registries from skiff.conf.

export function parseUserReference(engine: Engine, name: string): Reference {
  return parseReference(name, { defaultDomain: engine.config.defaultRegistry });
}

export function clientFor(engine: Engine, host: string, repo?: string): RegistryClient {
  const reg = engine.config.registries.get(host);
  return new RegistryClient(host, {
    insecure: reg?.insecure || undefined,
    credentials: lookupCredentials(host, repo),
    // The environment wins over skiff.conf, so one command can be given more (or less) patience.
    timeoutMs: Number(process.env.SKIFF_REGISTRY_TIMEOUT_MS) || engine.config.registryTimeoutMs,
  });
}

/** Mirrors first, in order, then the registry itself (registries.conf semantics). */
async function fromMirrorsOrOrigin(engine: Engine, ref: Reference, platform = hostPlatform()): Promise<{ image: RegistryImage; client: RegistryClient }> {
  const mirrors = engine.config.registries.get(ref.domain)?.mirrors ?? [];
  let lastError: unknown;
  for (const host of [...mirrors, ref.domain]) {
    const client = clientFor(engine, host, ref.path);
    try {
      return { image: await registryImage(client, ref, platform), client };
    } catch (e) {
      lastError = e;
      client.close();
      if (host === ref.domain) throw e;
    }
  }
  throw lastError;
}

export interface PullResult {
  name: string;
  id: string;
  digest: string;
  upToDate: boolean;
}

export async function pull(engine: Engine, name: string, opts: { platform?: string }, progress: (e: CopyEvent) => void): Promise<PullResult> {
  const ref = parseUserReference(engine, name);
  const full = ref.tag || ref.digest ? ref : ref.withTag("latest");
  const { image, client } = await fromMirrorsOrOrigin(engine, full, opts.platform ? parsePlatform(opts.platform) : hostPlatform());
  try {
    const before = (() => {
      try {
        return engine.images.resolve(full.toString()).id;
      } catch {
        return undefined;
      }
    })();
    const result = await copyImage(image, engine.storeDestination({ mode: "pull" }), progress);
    engine.images.logEvent("pull", full.familiarString(), full.familiarName());
    return { name: full.toString(), id: result.id, digest: image.topDigest, upToDate: before === result.id };
  } finally {
    client.close();
  }
}

/** Every tag of a repository (`pull --all-tags`). */
export async function listTags(engine: Engine, name: string): Promise<string[]> {
  const ref = parseUserReference(engine, name);
  if (ref.tag || ref.digest) throw new SkiffError("tag can't be used with --all-tags/-a");
  const client = clientFor(engine, ref.domain, ref.path);
  try {
    return await client.listTags(ref.path);
  } finally {
    client.close();
  }
}

export async function push(engine: Engine, name: string, progress: (e: CopyEvent) => void): Promise<{ tag: string; digest: string; size: number }> {
  const ref = parseUserReference(engine, name);
  const target = ref.tag || ref.digest ? ref : ref.withTag("latest");
  let image;
  try {
    image = engine.images.get(target.toString());
  } catch {
    throw new SkiffError(`An image does not exist locally with the tag: ${ref.familiarName()}`, { code: 1 });
  }
  // Blobs may already be in other repositories of this registry this image came from or went to.
  const sameRegistry = [...image.tags, ...image.digests]
    .map((n) => parseReference(n))
    .filter((r) => r.domain === target.domain && r.path !== target.path)
    .map((r) => r.path);
  const client = clientFor(engine, target.domain, target.path);
  try {
    const src = storeSource(image, engine.blobs, engine.layers, [target.toString()]);
    const result = await copyImage(src, new RegistryDestination(client, target, [...new Set(sameRegistry)]), progress);
    await engine.images.records.editNames((index) => {
      index.digests[`${target.repository()}@${result.manifestDigest}`] = image.record.id;
    });
    engine.images.logEvent("push", target.familiarString(), target.familiarName());
    return { tag: target.tag ?? "latest", digest: result.manifestDigest, size: src.manifestRaw.length };
  } finally {
    client.close();
  }
}
