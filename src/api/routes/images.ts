import { Readable } from "node:stream";
import type { Engine } from "../../engine/engine.js";
import { importTarball, loadArchive, loadMessages, saveImages } from "../../engine/archive.js";
import { history, listImages, removeImage, tagImage, type ImageSummary } from "../../engine/images.js";
import { inspectImage } from "../../engine/inspect.js";
import { pruneImages } from "../../engine/prune.js";
import { pullRepository } from "../../engine/pull.js";
import { pushRepository } from "../../engine/push.js";
import { InvalidArgumentError } from "../../errors.js";
import { parseReference } from "../../image/reference.js";
import type { ApiCall } from "../call.js";
import { registryRefusalForClient } from "../errors.js";
import type { RegistryAuth } from "../registry-auth.js";
import type { Route } from "../router.js";

// The image endpoints (moby daemon/server/router/image): each decodes its
// query, calls the engine verb the skiff CLI calls, and encodes Docker's
// answer for the negotiated API version. Pull, push, import and load answer
// with a JSON message stream; save with the archive itself, streamed.

/** moby's RepoTagReference: `repo` and `tag` as one name, :latest when no tag; digests refused. */
function repoTag(repo: string, tag: string | undefined, what: string): string {
  const ref = parseReference(repo, { defaultTag: false });
  if (ref.digest) throw new InvalidArgumentError(`cannot ${what} digest reference`);
  return (tag ? ref.withTag(tag) : ref.tag ? ref : ref.withTag("latest")).toString();
}

/**
 * What a pull asks for: `fromImage` (a trailing ":" dropped, as `pull -a`
 * of old clients sends it) with `tag`, which may also be a digest. With
 * neither a tag in the name nor `tag`, every tag (moby's rule, which
 * `docker pull --all-tags` relies on).
 */
function pullTarget(fromImage: string, tag: string | undefined): { name: string; allTags: boolean } {
  const ref = parseReference(fromImage.replace(/:$/, ""), { defaultTag: false });
  // A tag never holds ":"; a digest always does.
  if (tag) return { name: (tag.includes(":") ? ref.nameOnly().withDigest(tag) : ref.withTag(tag)).toString(), allTags: false };
  return { name: ref.toString(), allTags: !ref.tag && !ref.digest };
}

/** For pulls and pushes moby ignores a malformed X-Registry-Auth rather than failing the request. */
function lenientAuth(c: ApiCall): RegistryAuth | undefined {
  try {
    return c.registryAuth();
  } catch {
    return undefined;
  }
}

/** The list as the API version has it: "<none>" names before 1.43, VirtualSize before 1.44. */
function encodeSummary(c: ApiCall, img: ImageSummary): Record<string, unknown> {
  const { VirtualSize, ...rest } = img;
  const out: Record<string, unknown> = { ...rest };
  if (!c.versionAtLeast("1.43") && !img.RepoTags.length && !img.RepoDigests.length) {
    out.RepoTags = ["<none>:<none>"];
    out.RepoDigests = ["<none>@<none>"];
  }
  if (!c.versionAtLeast("1.44")) out.VirtualSize = VirtualSize;
  return out;
}

function removeReport(r: { untagged: string[]; deleted: string[] }): Record<string, string>[] {
  return [...r.untagged.map((u) => ({ Untagged: u })), ...r.deleted.map((d) => ({ Deleted: d }))];
}

export function imageRoutes(engine: Engine): Route[] {
  /** Pull (fromImage) or import (fromSrc). */
  const create = async (c: ApiCall): Promise<void> => {
    const fromImage = c.query.string("fromImage") ?? "";
    const platform = (c.versionAtLeast("1.32") && c.query.string("platform")) || undefined;
    if (fromImage) {
      const { name, allTags } = pullTarget(fromImage, c.query.string("tag") || undefined);
      const out = c.messageStream();
      try {
        await pullRepository(engine, name, { platform, auth: lenientAuth(c)?.credentials, allTags, signal: c.signal }, out.progress);
      } catch (e) {
        throw registryRefusalForClient(e);
      }
      out.end();
      return;
    }
    const src = c.query.string("fromSrc") ?? "";
    if (!src) throw new InvalidArgumentError("fromImage or fromSrc is required", "pull with fromImage=NAME, or import a tarball in the body with fromSrc=-");
    const repo = c.query.string("repo") || undefined;
    const name = repo ? repoTag(repo, c.query.string("tag") || undefined, "import") : undefined;
    const out = c.messageStream();
    // A URL source is the verb's to refuse; the body then is no tarball.
    const r = await importTarball(engine, src === "-" ? c.bodyStream() : Readable.from([]), {
      repo: name,
      changes: c.query.strings("changes"),
      message: c.query.string("message") || undefined,
      platform,
      sourceName: src === "-" || src.includes("://") ? src : `http://${src}`,
    });
    for (const w of r.warnings) out.status(`WARNING: ${w}`);
    out.status(r.id);
    out.end();
  };

  const push = async (c: ApiCall): Promise<void> => {
    const tag = c.query.string("tag") || undefined;
    const name = tag ? repoTag(c.param("name"), tag, "push") : parseReference(c.param("name"), { defaultTag: false }).toString();
    const out = c.messageStream();
    await pushRepository(
      engine,
      name,
      { allTags: !tag, auth: lenientAuth(c)?.credentials, signal: c.signal, onPushed: (r) => out.aux({ Tag: r.tag, Digest: r.digest, Size: r.size }) },
      out.progress,
    );
    out.end();
  };

  /** docker save: the archive is the answer, streamed; an image that does not exist fails before the first byte. */
  const save = async (c: ApiCall, names: string[]): Promise<void> => {
    if (!names.length) throw new InvalidArgumentError("no image names given", "name the images to save: /images/get?names=busybox");
    c.res.setHeader("Content-Type", "application/x-tar");
    await saveImages(engine, names, c.res);
  };

  /** docker load: the archive is the body, streamed to the store; every error in-band, as moby answers. */
  const load = async (c: ApiCall): Promise<void> => {
    const quiet = c.query.bool("quiet", true);
    const platform = (c.versionAtLeast("1.48") && c.query.string("platform")) || undefined;
    const out = c.messageStream({ startNow: true });
    const r = await loadArchive(engine, c.bodyStream(), { platform, signal: c.signal }, quiet ? () => {} : out.progress);
    for (const line of loadMessages(r)) out.stream(`${line}\n`);
    out.end();
  };

  const list = async (c: ApiCall): Promise<void> => {
    const filters = c.query.filters();
    // Before 1.41 a `filter` parameter named the repositories.
    const legacy = c.query.string("filter");
    if (legacy && !c.versionAtLeast("1.41")) filters.set("reference", [...(filters.get("reference") ?? []), legacy]);
    c.send(200, listImages(engine, { all: c.query.bool("all"), filters }).map((img) => encodeSummary(c, img)));
  };

  const inspect = async (c: ApiCall): Promise<void> => {
    const img = inspectImage(engine, c.param("name"));
    c.send(200, c.versionAtLeast("1.44") ? img : { ...img, VirtualSize: img.Size });
  };

  const tag = async (c: ApiCall): Promise<void> => {
    const repo = c.query.string("repo") ?? "";
    if (!repo) throw new InvalidArgumentError("repository name must have at least one component", "give the new name as repo=NAME (and tag=TAG)");
    if (repo === "sha256") throw new InvalidArgumentError("refusing to create an ambiguous tag using digest algorithm as name");
    await tagImage(engine, c.param("name"), repoTag(repo, c.query.string("tag") || undefined, "tag"));
    c.sendStatus(201);
  };

  const remove = async (c: ApiCall): Promise<void> => {
    const name = c.param("name");
    if (!name.trim()) throw new InvalidArgumentError("image name cannot be blank");
    c.send(200, removeReport(await removeImage(engine, name, { force: c.query.bool("force"), noPrune: c.query.bool("noprune") })));
  };

  /** moby answers null, not [], when nothing was deleted. */
  const prune = async (c: ApiCall): Promise<void> => {
    const r = await pruneImages(engine, { filters: c.query.filters() });
    const deleted = removeReport(r);
    c.send(200, { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: r.reclaimed });
  };

  return [
    { method: "GET", path: "/images/json", handle: list },
    { method: "POST", path: "/images/create", handle: create },
    { method: "POST", path: "/images/load", handle: load },
    { method: "GET", path: "/images/get", handle: (c) => save(c, c.query.strings("names")) },
    { method: "POST", path: "/images/prune", handle: prune },
    { method: "GET", path: "/images/{name:.*}/json", handle: inspect },
    { method: "GET", path: "/images/{name:.*}/history", handle: async (c) => c.send(200, history(engine, c.param("name"))) },
    { method: "GET", path: "/images/{name:.*}/get", handle: (c) => save(c, [c.param("name")]) },
    { method: "POST", path: "/images/{name:.*}/tag", handle: tag },
    { method: "POST", path: "/images/{name:.*}/push", handle: push },
    { method: "DELETE", path: "/images/{name:.*}", handle: remove },
  ];
}
