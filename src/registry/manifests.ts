import { DigestMismatchError, SkiffError } from "../errors.js";
import { pullScope, pushScope } from "./auth.js";
import { computeDigest, hasherFor, isDigestReference, sha256Digest } from "./digest.js";
import { describeEntries, parseErrorBody, RegistryError, statusHint, statusLine } from "./errors.js";
import { familiarName } from "./hosts.js";
import { discard, header, readBody, type HttpResponse } from "./http.js";
import type { RegistrySession } from "./session.js";

// Manifests: GET, HEAD, PUT on /v2/<name>/manifests/<reference>
// (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests).
// A manifest is small JSON; it is read whole, checked against the digest we
// asked for and the one the registry claims, and refused past 4 MiB as
// containerd and distribution do.

export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** What we accept when the caller does not say: indexes first, then single manifests. */
export const DEFAULT_MANIFEST_ACCEPT = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
];

export interface FetchedManifest {
  raw: Buffer;
  /** As the registry labelled it (or as the document says when the label is generic); unknown types are returned as they are. */
  mediaType: string;
  digest: string;
}

export interface ManifestInfo {
  /** Docker-Content-Digest; some registries omit it on HEAD. */
  digest?: string;
  mediaType: string;
  size?: number;
}

const GENERIC_TYPES = new Set(["", "application/json", "text/plain", "application/octet-stream"]);

function contentType(res: HttpResponse): string {
  return (header(res, "content-type") ?? "").split(";")[0].trim();
}

function manifestName(host: string, repo: string, reference: string): string {
  return `${familiarName(host, repo)}${isDigestReference(reference) ? "@" : ":"}${reference}`;
}

/** Docker's wording for a failed pull of a manifest (moby distribution/errors.go). */
export async function manifestPullError(s: RegistrySession, res: HttpResponse, repo: string, reference: string): Promise<RegistryError> {
  const body = res.body.readable ? await readBody(res, s.timeoutMs, 256 * 1024).catch(() => Buffer.alloc(0)) : Buffer.alloc(0);
  const entries = parseErrorBody(body);
  const code = entries[0]?.code;
  const name = familiarName(s.host, repo);
  const detail = (fallback: string) => (entries.length ? describeEntries(entries) : fallback);
  if (res.status === 401 || res.status === 403 || code === "DENIED" || code === "UNAUTHORIZED")
    return new RegistryError(
      `pull access denied for ${name}, repository does not exist or may require 'docker login': ${detail(res.status === 401 ? "unauthorized: authentication required" : "denied: requested access to the resource is denied")}`,
      res.status,
      entries,
      `check the name, or log in with 'skiff login ${s.host}'`,
    );
  if (code === "NAME_UNKNOWN")
    return new RegistryError(`repository ${name} not found: ${detail("")}`, 404, entries, "check the repository name");
  if (res.status === 404 || code === "MANIFEST_UNKNOWN")
    return new RegistryError(`manifest for ${manifestName(s.host, repo, reference)} not found: ${detail("manifest unknown: manifest unknown")}`, 404, entries, "check the tag or digest exists in the repository");
  return new RegistryError(
    `fetching manifest for ${manifestName(s.host, repo, reference)}: ${detail(`received unexpected HTTP status: ${statusLine(res.status)}`)}`,
    res.status,
    entries,
    statusHint(s.host, res.status),
  );
}

function tooLarge(s: RegistrySession, repo: string, reference: string): SkiffError {
  return new SkiffError(`manifest for ${manifestName(s.host, repo, reference)} is larger than ${MAX_MANIFEST_BYTES} bytes: refusing it`, {
    hint: "manifests are small JSON documents; the registry or the image is broken",
  });
}

export function getManifest(s: RegistrySession, repo: string, reference: string, accept = DEFAULT_MANIFEST_ACCEPT): Promise<FetchedManifest> {
  return s.rereading(() => fetchManifest(s, repo, reference, accept));
}

async function fetchManifest(s: RegistrySession, repo: string, reference: string, accept: string[]): Promise<FetchedManifest> {
  const expected = isDigestReference(reference) ? reference : undefined;
  if (expected) hasherFor(expected); // refuse digests we cannot verify before asking
  const res = await s.request({
    method: "GET",
    target: `/v2/${repo}/manifests/${reference}`,
    scopes: [pullScope(repo)],
    headers: { Accept: accept.join(", ") },
  });
  if (res.status !== 200) throw await manifestPullError(s, res, repo, reference);
  const raw = await readBody(res, s.timeoutMs, MAX_MANIFEST_BYTES, () => tooLarge(s, repo, reference));
  const what = `manifest for ${manifestName(s.host, repo, reference)}`;
  if (expected) {
    const actual = computeDigest(raw, expected);
    if (actual !== expected) throw new DigestMismatchError(what, expected, actual);
  }
  const claimed = header(res, "docker-content-digest")?.trim();
  let digest = expected ?? sha256Digest(raw);
  if (claimed && claimed !== expected) {
    let actual: string;
    try {
      actual = computeDigest(raw, claimed);
    } catch {
      actual = ""; // an algorithm we do not know: nothing to check it against
    }
    if (actual && actual !== claimed) throw new DigestMismatchError(what, claimed, actual);
    if (actual && !expected) digest = claimed;
  }
  let mediaType = contentType(res);
  if (GENERIC_TYPES.has(mediaType)) {
    try {
      const doc = JSON.parse(raw.toString()) as { mediaType?: unknown };
      if (typeof doc.mediaType === "string") mediaType = doc.mediaType;
    } catch {
      /* not JSON: leave the label as it came */
    }
  }
  return { raw, mediaType, digest };
}

/** HEAD a manifest: its digest and type without the body, or undefined when it does not exist. */
export async function headManifest(s: RegistrySession, repo: string, reference: string, accept = DEFAULT_MANIFEST_ACCEPT): Promise<ManifestInfo | undefined> {
  const res = await s.request({
    method: "HEAD",
    target: `/v2/${repo}/manifests/${reference}`,
    scopes: [pullScope(repo)],
    headers: { Accept: accept.join(", ") },
  });
  discard(res);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw await manifestPullError(s, res, repo, reference);
  const len = Number(header(res, "content-length"));
  return {
    digest: header(res, "docker-content-digest")?.trim() || (isDigestReference(reference) ? reference : undefined),
    mediaType: contentType(res),
    size: Number.isFinite(len) ? len : undefined,
  };
}

/** PUT a manifest under a tag or its digest; returns its digest. */
export async function putManifest(s: RegistrySession, repo: string, reference: string, raw: Buffer, mediaType: string): Promise<string> {
  if (raw.length > MAX_MANIFEST_BYTES) throw tooLarge(s, repo, reference);
  const digest = isDigestReference(reference) ? computeDigest(raw, reference) : sha256Digest(raw);
  if (isDigestReference(reference) && digest !== reference) throw new DigestMismatchError(`manifest for ${manifestName(s.host, repo, reference)}`, reference, digest);
  const res = await s.request({
    method: "PUT",
    target: `/v2/${repo}/manifests/${reference}`,
    scopes: [pushScope(repo)],
    headers: { "Content-Type": mediaType },
    body: raw,
  });
  if (res.status !== 201 && res.status !== 200 && res.status !== 202) throw await s.statusError(res);
  discard(res);
  return digest;
}

export async function deleteManifest(s: RegistrySession, repo: string, digest: string): Promise<void> {
  const res = await s.request({ method: "DELETE", target: `/v2/${repo}/manifests/${digest}`, scopes: [`repository:${repo}:delete`], retry: true });
  if (res.status !== 202 && res.status !== 200) throw await s.statusError(res, `deleting ${manifestName(s.host, repo, digest)}`);
  discard(res);
}
