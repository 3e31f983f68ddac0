import { pipeline, Transform, type Readable } from "node:stream";
import { DigestMismatchError, SkiffError } from "../errors.js";
import { pullScope, pushScope } from "./auth.js";
import { hasherFor } from "./digest.js";
import { RegistryError, TransportError } from "./errors.js";
import { discard, header, type HttpResponse } from "./http.js";
import { backoffDelay, isRetryableStatus, sleep } from "./retry.js";
import type { RegistrySession } from "./session.js";

// Pushing blobs (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pushing-blobs):
// POST /v2/<name>/blobs/uploads/ opens an upload session at the Location it
// returns; then either one PUT <location>?digest=… carrying the whole blob
// (monolithic), or PATCHes with Content-Range and a final empty PUT
// (chunked). Every answer may move the session: always follow the newest
// Location, relative or absolute, keeping its query (registries keep state there).

export interface UploadOptions {
  /** Send PATCH chunks of this many bytes (memory held: one chunk). Default: one monolithic PUT. */
  chunkSize?: number;
  /** Bytes sent so far, after each chunk or piece of stream. */
  onProgress?: (sent: number) => void;
}

export type StreamFactory = () => Readable | Promise<Readable>;

function locationOf(res: HttpResponse, current: URL, what: string): URL {
  const loc = header(res, "location");
  if (!loc) throw new RegistryError(`${what}: the registry sent no upload Location`, res.status, []);
  return new URL(loc, current);
}

function withDigest(location: URL, digest: string): URL {
  const u = new URL(location);
  u.searchParams.set("digest", digest);
  return u;
}

/** The last byte the registry holds, from "Range: 0-N" (some registries write "bytes=0-N"). */
function rangeEnd(res: HttpResponse): number | undefined {
  const m = /^(?:bytes=)?0-(\d+)$/.exec(header(res, "range")?.trim() ?? "");
  return m ? Number(m[1]) : undefined;
}

/**
 * The next offset a session expects. distribution writes "0-0" for an empty
 * session as well as for one holding a single byte; we read it as empty: a
 * resent byte is refused (416) and the upload restarts, a skipped one would
 * corrupt the blob.
 */
function nextOffset(res: HttpResponse): number {
  const end = rangeEnd(res);
  return end === undefined || end === 0 ? 0 : end + 1;
}

async function startUpload(s: RegistrySession, repo: string): Promise<URL> {
  const res = await s.request({ method: "POST", target: `/v2/${repo}/blobs/uploads/`, scopes: [pushScope(repo)], retry: true });
  if (res.status !== 202) throw await s.statusError(res);
  discard(res);
  return locationOf(res, res.url, `starting an upload to ${repo}`);
}

/** Give up an upload session; a failure to do so only leaves garbage for the registry to collect. */
function cancelUpload(s: RegistrySession, repo: string, location: URL): void {
  s.request({ method: "DELETE", target: location, scopes: [pushScope(repo)], retry: false }).then(discard, () => undefined);
}

/**
 * Counts and hashes the bytes on their way out, failing before the last byte
 * leaves when the source is longer or shorter than promised or does not
 * match its digest: the registry then never commits a wrong blob.
 */
function contentGuard(size: number, digest: string, onProgress?: (n: number) => void): Transform {
  let n = 0;
  const hash = hasherFor(digest);
  const damaged = "the local copy of the layer is damaged; remove the image and pull or build it again";
  const wrong = (got: string) => new SkiffError(`blob ${digest.slice(0, 19)}: the source gave ${got} bytes, expected ${size}`, { hint: damaged });
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      if (n > size) return cb(wrong(`more than ${size}`));
      hash.update(chunk);
      onProgress?.(n);
      cb(null, chunk);
    },
    flush(cb) {
      if (n !== size) return cb(wrong(String(n)));
      const actual = `${digest.slice(0, digest.indexOf(":"))}:${hash.digest("hex")}`;
      cb(actual === digest ? null : new DigestMismatchError(`blob to push`, digest, actual));
    },
  });
}

function guarded(source: Readable, size: number, digest: string, onProgress?: (n: number) => void): Readable {
  const guard = contentGuard(size, digest, onProgress);
  pipeline(source, guard, () => undefined);
  return guard;
}

async function finish(s: RegistrySession, repo: string, digest: string, res: HttpResponse): Promise<void> {
  if (res.status !== 201 && res.status !== 204 && res.status !== 200) throw await s.statusError(res);
  discard(res);
  const claimed = header(res, "docker-content-digest")?.trim();
  if (claimed && claimed !== digest) throw new RegistryError(`pushing blob ${digest}: the registry stored it as ${claimed}`, res.status, []);
}

async function monolithic(s: RegistrySession, repo: string, digest: string, size: number, open: StreamFactory, location: URL, opts: UploadOptions): Promise<void> {
  const source = await open();
  let res: HttpResponse;
  try {
    res = await s.request({
      method: "PUT",
      target: withDigest(location, digest),
      scopes: [pushScope(repo)],
      headers: { "Content-Type": "application/octet-stream", "Content-Length": size },
      body: () => guarded(source, size, digest, opts.onProgress),
      retry: false,
    });
  } finally {
    if (!source.readableEnded) source.destroy(); // never sent (a failed token request): release it
  }
  await finish(s, repo, digest, res);
}

/** Where an interrupted session stands: the next offset it expects and its Location, or undefined when it is gone. */
async function uploadStatus(s: RegistrySession, repo: string, location: URL): Promise<{ next: number; location: URL } | undefined> {
  try {
    const res = await s.request({ method: "GET", target: location, scopes: [pushScope(repo)] });
    discard(res);
    if (res.status !== 204 && res.status !== 200) return undefined;
    return { next: nextOffset(res), location: header(res, "location") ? locationOf(res, location, "upload status") : location };
  } catch {
    return undefined;
  }
}

async function chunked(s: RegistrySession, repo: string, digest: string, size: number, open: StreamFactory, start: URL, opts: UploadOptions): Promise<void> {
  const chunkSize = opts.chunkSize!;
  let location = start;
  let offset = 0;
  const patch = async (chunk: Buffer) => {
    // A PATCH that failed half-way may have been partly kept: ask the
    // session where it stands and send only the rest of this chunk.
    let from = 0;
    for (let attempt = 1; ; attempt++) {
      const piece = chunk.subarray(from);
      const begin = offset + from;
      try {
        const res = await s.request({
          method: "PATCH",
          target: location,
          scopes: [pushScope(repo)],
          headers: { "Content-Type": "application/octet-stream", "Content-Range": `${begin}-${begin + piece.length - 1}`, "Content-Length": piece.length },
          body: piece,
          retry: false,
        });
        if (res.status !== 202) {
          if (!isRetryableStatus(res.status) && res.status !== 416) throw await s.statusError(res);
          discard(res);
          throw new TransportError(`PATCH ${repo} upload: status ${res.status}`, { retryable: true });
        }
        discard(res);
        location = locationOf(res, location, `uploading to ${repo}`);
        const end = rangeEnd(res);
        if (end !== undefined && end !== begin + piece.length - 1)
          throw new RegistryError(`uploading to ${repo}: the registry holds ${end + 1} bytes, expected ${begin + piece.length}`, res.status, []);
        offset += chunk.length;
        opts.onProgress?.(offset);
        return;
      } catch (e) {
        if (!(e instanceof TransportError) || !e.retryable || attempt >= s.retry.attempts) throw e;
        await sleep(backoffDelay(s.retry, attempt));
        const st = await uploadStatus(s, repo, location);
        if (!st || st.next < offset || st.next > offset + chunk.length) throw e;
        location = st.location;
        from = st.next - offset;
        if (from === chunk.length) {
          offset += chunk.length;
          return;
        }
      }
    }
  };
  const source = guarded(await open(), size, digest);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const piece of source as AsyncIterable<Buffer>) {
    let rest = piece;
    while (pendingBytes + rest.length >= chunkSize) {
      const take = chunkSize - pendingBytes;
      pending.push(rest.subarray(0, take));
      rest = rest.subarray(take);
      await patch(Buffer.concat(pending, chunkSize));
      pending = [];
      pendingBytes = 0;
    }
    if (rest.length) {
      pending.push(rest);
      pendingBytes += rest.length;
    }
  }
  if (pendingBytes) await patch(Buffer.concat(pending, pendingBytes));
  const res = await s.request({
    method: "PUT",
    target: withDigest(location, digest),
    scopes: [pushScope(repo)],
    headers: { "Content-Type": "application/octet-stream", "Content-Length": 0 },
    body: Buffer.alloc(0),
  });
  await finish(s, repo, digest, res);
}

/**
 * Push one blob. `open` gives the blob's bytes from the start each time it is
 * called: a failed upload is started again (new session, fresh stream) up
 * to the session's retry attempts.
 */
export async function uploadBlob(s: RegistrySession, repo: string, digest: string, size: number, open: StreamFactory, opts: UploadOptions = {}): Promise<void> {
  hasherFor(digest);
  if (opts.chunkSize !== undefined && !(opts.chunkSize > 0)) throw new SkiffError(`upload chunk size must be positive, got ${opts.chunkSize}`);
  for (let attempt = 1; ; attempt++) {
    const location = await startUpload(s, repo);
    try {
      if (opts.chunkSize) await chunked(s, repo, digest, size, open, location, opts);
      else await monolithic(s, repo, digest, size, open, location, opts);
      return;
    } catch (e) {
      cancelUpload(s, repo, location);
      const transient = (e instanceof TransportError && e.retryable) || (e instanceof RegistryError && isRetryableStatus(e.httpStatus));
      if (!transient || attempt >= s.retry.attempts) throw e;
      await sleep(backoffDelay(s.retry, attempt));
    }
  }
}

/**
 * Cross-repository mount: POST …/uploads/?mount=<digest>&from=<repo>. 201 means
 * the registry linked the blob (true); 202 means it opened an ordinary
 * upload session instead, which we cancel (false: upload it).
 */
export async function mountBlob(s: RegistrySession, repo: string, digest: string, fromRepo: string): Promise<boolean> {
  const target = `/v2/${repo}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(fromRepo)}`;
  const res = await s.request({ method: "POST", target, scopes: [pushScope(repo), pullScope(fromRepo)], retry: true });
  if (res.status === 201) {
    discard(res);
    return true;
  }
  if (res.status === 202) {
    discard(res);
    cancelUpload(s, repo, locationOf(res, res.url, `mounting into ${repo}`));
    return false;
  }
  throw await s.statusError(res);
}
