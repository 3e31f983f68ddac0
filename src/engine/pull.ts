import { SkiffError } from "../errors.js";
import { copyImage } from "../image/copy.js";
import { hostPlatform, parsePlatform } from "../image/platform.js";
import { parseReference, type Reference } from "../image/reference.js";
import { registryImage, type RegistryImage } from "../image/transports/registry.js";
import type { CopyEvent, Progress } from "../image/transport.js";
import type { Credentials, RegistryClient } from "../registry/client.js";
import type { Engine } from "./engine.js";
import { runInside } from "./inside.js";
import { registryClient } from "./registry-client.js";

// `pull` (and the pull `run` and `create` do for a missing image): the
// registry transport joined to the store through the copy pipeline, mirrors
// first. Progress is reported as Docker's daemon reports it (JSON messages:
// "Pulling from …", one line per layer, "Digest: …", "Status: …"), so the
// CLI renders it as the docker CLI does and the API server forwards it.
// Layers are extracted as container ids, inside skiff's user namespace: from
// outside, the pull runs there through the internal entry point.

export interface PullResult {
  /** The fully qualified reference pulled ("docker.io/library/busybox:latest"). */
  name: string;
  id: string;
  digest: string;
  upToDate: boolean;
}

export interface PullOptions {
  platform?: string;
  /** Base64url X-Registry-Auth credentials given by an API client, instead of the stored logins. */
  auth?: Credentials;
  /** Cancels the pull (an API client that hung up); not carried across the namespace boundary. */
  signal?: AbortSignal;
}

/** A user's image name, short names completed with skiff.conf's default registry. */
export function parseUserReference(engine: Engine, name: string): Reference {
  return parseReference(name, { defaultDomain: engine.config.defaultRegistry });
}

/** Mirrors first, in order, then the registry itself (registries.conf semantics). */
async function fromMirrorsOrOrigin(engine: Engine, ref: Reference, platform: ReturnType<typeof hostPlatform>, opts: PullOptions): Promise<{ image: RegistryImage; client: RegistryClient }> {
  const mirrors = engine.config.registries.get(ref.domain)?.mirrors ?? [];
  let lastError: unknown;
  for (const host of [...mirrors, ref.domain]) {
    const client = registryClient(engine, host, ref.path, host === ref.domain ? opts.auth : undefined);
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

/** The path Docker names in "Pulling from …": library/ for official images on the default registry. */
function pulledFrom(ref: Reference): string {
  return ref.domain === "docker.io" && !ref.path.includes("/") ? `library/${ref.path}` : ref.path;
}

/** Pull one image into the store. */
export async function pull(engine: Engine, name: string, opts: PullOptions = {}, progress: Progress = () => {}): Promise<PullResult> {
  if (!engine.inNamespace) {
    const { signal: _, ...plain } = opts;
    return (await runInside(engine, "pull", { name, opts: plain }, progress)) as PullResult;
  }
  const ref = parseUserReference(engine, name);
  const full = ref.tag || ref.digest ? ref : ref.withTag("latest");
  const { image, client } = await fromMirrorsOrOrigin(engine, full, opts.platform ? parsePlatform(opts.platform) : hostPlatform(), opts);
  try {
    progress({ id: full.digest ?? full.tag ?? "latest", status: `Pulling from ${pulledFrom(full)}`, message: true });
    let before: string | undefined;
    try {
      before = engine.images.resolve(full.toString()).id;
    } catch {
      before = undefined;
    }
    const result = await copyImage(image, engine.storeDestination({ mode: "pull" }), progress, { signal: opts.signal });
    engine.images.logEvent("pull", full.familiarString(), full.familiarName());
    const upToDate = before === result.id;
    const familiar = full.familiarString();
    progress({ id: "", status: `Digest: ${image.topDigest}` });
    progress({ id: "", status: upToDate ? `Status: Image is up to date for ${familiar}` : `Status: Downloaded newer image for ${familiar}` });
    return { name: full.toString(), id: result.id, digest: image.topDigest, upToDate };
  } finally {
    client.close();
  }
}

/**
 * `pull` of a name: one image, or with `allTags` (`pull --all-tags`, and the
 * API's fromImage without a tag) every tag of the repository in turn.
 */
export async function pullRepository(engine: Engine, name: string, opts: PullOptions & { allTags?: boolean } = {}, progress: Progress = () => {}): Promise<PullResult[]> {
  const { allTags, ...one } = opts;
  if (!allTags) return [await pull(engine, name, one, progress)];
  const ref = parseUserReference(engine, name);
  const out: PullResult[] = [];
  for (const tag of await listTags(engine, name, one.auth)) out.push(await pull(engine, ref.withTag(tag).toString(), one, progress));
  return out;
}

/** Every tag of a repository (`pull --all-tags`). */
export async function listTags(engine: Engine, name: string, auth?: Credentials): Promise<string[]> {
  const ref = parseUserReference(engine, name);
  if (ref.tag || ref.digest) throw new SkiffError("tag can't be used with --all-tags/-a", { status: 400 });
  const client = registryClient(engine, ref.domain, ref.path, auth);
  try {
    return await client.listTags(ref.path);
  } finally {
    client.close();
  }
}

export type PullPolicy = "always" | "missing" | "never";

export function checkPullPolicy(policy: string): PullPolicy {
  if (policy !== "always" && policy !== "missing" && policy !== "never")
    throw new SkiffError(`invalid pull option: '${policy}': must be one of "always", "missing" or "never"`);
  return policy;
}

/**
 * The image a container needs, present locally: pulled when missing (or
 * always, with --pull always), as `docker run` does. Its "Unable to find
 * image" line comes first, as a message of the pull's progress.
 */
export async function ensureImage(
  engine: Engine,
  name: string,
  opts: { pull: PullPolicy; platform?: string; auth?: Credentials; signal?: AbortSignal },
  progress: Progress = () => {},
): Promise<void> {
  let present = true;
  try {
    engine.images.resolve(name);
  } catch {
    present = false;
  }
  if (present && opts.pull !== "always") return;
  if (!present && opts.pull === "never") throw new SkiffError(`No such image: ${name}`, { code: 125, status: 404 });
  if (!present) progress({ id: "", status: `Unable to find image '${familiarOrInput(name)}' locally` });
  await pull(engine, name, { platform: opts.platform, auth: opts.auth, signal: opts.signal }, progress);
}

function familiarOrInput(name: string): string {
  try {
    return parseReference(name).familiarString();
  } catch {
    return name;
  }
}

export type { CopyEvent };
