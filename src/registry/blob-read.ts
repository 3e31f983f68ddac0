import { Readable } from "node:stream";
import { DigestMismatchError, SkiffError } from "../errors.js";
import { pullScope } from "./auth.js";
import { hasherFor } from "./digest.js";
import { RegistryError, statusHint, TransportError } from "./errors.js";
import { familiarName } from "./hosts.js";
import { bodyChunks, discard, header, type HttpResponse } from "./http.js";
import { backoffDelay, sleep } from "./retry.js";
import type { RegistrySession } from "./session.js";

// Reading blobs: GET /v2/<name>/blobs/<digest>, usually answered by a
// redirect to blob storage (followed without our credentials, see
// session.ts). A dropped connection is resumed with "Range: bytes=N-"
// (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-blobs);
// a server that ignores Range and sends 200 is handled by skipping N bytes.

export interface BlobPart {
  /** The blob's bytes from `offset` on. */
  stream: Readable;
  /** Where this stream starts in the blob. */
  offset: number;
  /** The whole blob's size, when the registry said. */
  size?: number;
}

export interface OpenBlobOptions {
  /** Start here (resuming an earlier read). */
  offset?: number;
  /** The size the descriptor promised: a shorter or longer blob is an error. */
  size?: number;
  /** Check the bytes against the digest at the end (only when reading from 0). Default true. */
  verify?: boolean;
  /** Called after each resume with the offset it resumed at. */
  onResume?: (offset: number, cause: Error) => void;
}

function blobName(s: RegistrySession, repo: string, digest: string): string {
  return `${familiarName(s.host, repo)}@${digest}`;
}

async function blobError(s: RegistrySession, res: HttpResponse, repo: string, digest: string): Promise<RegistryError> {
  if (res.status === 404) {
    const e = await s.statusError(res, `blob ${blobName(s, repo, digest)} not found`, "the image refers to a layer the registry does not have; the image is broken or still being pushed");
    return e.errors.length ? e : new RegistryError(`blob ${blobName(s, repo, digest)} not found: blob unknown: blob unknown to registry`, 404, [], e.hint);
  }
  return s.statusError(res, `fetching blob ${blobName(s, repo, digest)}`);
}

interface PartChunks {
  chunks: AsyncGenerator<Buffer>;
  offset: number;
  size?: number;
  /** The response body being read: destroying it ends a read that waits on the network. */
  body: Readable;
}

/** One GET of a blob from `offset`: a single connection, no resuming. */
export async function getBlob(s: RegistrySession, repo: string, digest: string, opts: { offset?: number } = {}): Promise<BlobPart> {
  const part = await blobChunks(s, repo, digest, opts.offset ?? 0);
  return { stream: Readable.from(part.chunks, { objectMode: false }), offset: part.offset, size: part.size };
}

async function blobChunks(s: RegistrySession, repo: string, digest: string, offset: number): Promise<PartChunks> {
  hasherFor(digest);
  const res = await s.request({
    method: "GET",
    target: `/v2/${repo}/blobs/${digest}`,
    scopes: [pullScope(repo)],
    headers: offset > 0 ? { Range: `bytes=${offset}-` } : {},
  });
  let skip = 0;
  let size: number | undefined;
  if (res.status === 206) {
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header(res, "content-range") ?? "");
    if (!m || Number(m[1]) !== offset) {
      discard(res);
      throw new TransportError(`fetching blob ${blobName(s, repo, digest)}: the registry answered a range request with the wrong range`, { retryable: false });
    }
    size = m[3] === "*" ? undefined : Number(m[3]);
  } else if (res.status === 200) {
    skip = offset; // Range ignored: the whole blob follows
    const len = Number(header(res, "content-length"));
    size = Number.isFinite(len) ? len : undefined;
  } else if (res.status === 416) {
    discard(res);
    throw new SkiffError(`fetching blob ${blobName(s, repo, digest)}: offset ${offset} is past the end of the blob`);
  } else {
    throw await blobError(s, res, repo, digest);
  }
  const what = `reading blob ${digest.slice(0, 19)}`;
  async function* bytes(): AsyncGenerator<Buffer> {
    for await (let chunk of bodyChunks(res, s.timeoutMs, what)) {
      if (skip > 0) {
        const n = Math.min(skip, chunk.length);
        skip -= n;
        chunk = chunk.subarray(n);
        if (!chunk.length) continue;
      }
      yield chunk;
    }
  }
  return { chunks: skip > 0 ? bytes() : bodyChunks(res, s.timeoutMs, what), offset, size, body: res.body };
}

/**
 * A generator of chunks as a stream whose destroy() takes effect at once.
 * Readable.from lets a destroyed stream close only after the generator's
 * pending await has settled — a read from a stalled registry, which would
 * keep a cancelled pull (an API client that hung up) waiting for the
 * registry timeout. Here destroy() also calls `abort`, which ends that read.
 */
function abortableStream(gen: AsyncGenerator<Buffer>, abort: () => void): Readable {
  let pulling = false;
  return new Readable({
    read() {
      if (pulling) return;
      pulling = true;
      void (async () => {
        try {
          for (;;) {
            const r = await gen.next();
            if (r.done) return void this.push(null);
            if (!this.push(r.value)) return;
          }
        } catch (e) {
          this.destroy(e as Error);
        } finally {
          pulling = false;
        }
      })();
    },
    destroy(err, cb) {
      abort();
      gen.return(undefined).catch(() => {});
      cb(err);
    },
  });
}

/**
 * A blob's bytes as one stream that resumes by itself: when the connection
 * drops, stalls past the timeout, or ends short of the known size, it asks
 * again from where it stopped (up to the session's maxBlobResumes times, with
 * back-off). Read from 0 it also checks the digest and fails with
 * DigestMismatchError at the end rather than end cleanly.
 */
export function openBlob(s: RegistrySession, repo: string, digest: string, opts: OpenBlobOptions = {}): Readable {
  // Set when the reader destroys the stream: no resume after that, and the body being read is cut.
  let closed = false;
  let body: Readable | undefined;
  async function* chunks(): AsyncGenerator<Buffer> {
    let offset = opts.offset ?? 0;
    let size = opts.size;
    const hash = opts.verify !== false && offset === 0 ? hasherFor(digest) : undefined;
    for (let resumes = 0; ; ) {
      try {
        const part = await blobChunks(s, repo, digest, offset);
        body = part.body;
        if (closed) body.destroy();
        if (part.size !== undefined) {
          if (size !== undefined && part.size !== size)
            throw new SkiffError(`blob ${blobName(s, repo, digest)} is ${part.size} bytes, expected ${size}`, { hint: "the registry serves different content than the image describes" });
          size = part.size;
        }
        for await (const chunk of part.chunks) {
          offset += chunk.length;
          if (size !== undefined && offset > size)
            throw new SkiffError(`blob ${blobName(s, repo, digest)} is longer than its ${size} bytes`, { hint: "the registry serves different content than the image describes" });
          hash?.update(chunk);
          yield chunk;
        }
        if (size !== undefined && offset < size)
          throw new TransportError(`reading blob ${digest.slice(0, 19)} from ${s.host}: unexpected EOF after ${offset} of ${size} bytes`, { retryable: true, errno: "ABORTED" });
        break;
      } catch (e) {
        if (closed || !(e instanceof TransportError) || !e.retryable || resumes >= s.maxBlobResumes) throw e;
        resumes++;
        opts.onResume?.(offset, e);
        await sleep(backoffDelay(s.retry, resumes));
        if (closed) throw e;
      }
    }
    if (hash) {
      const actual = `${digest.slice(0, digest.indexOf(":"))}:${hash.digest("hex")}`;
      if (actual !== digest) throw new DigestMismatchError(`blob ${blobName(s, repo, digest)}`, digest, actual);
    }
  }
  return abortableStream(chunks(), () => {
    closed = true;
    body?.destroy();
  });
}

/** HEAD a blob: its size, or undefined when the repository does not have it. */
export async function statBlob(s: RegistrySession, repo: string, digest: string): Promise<{ size?: number } | undefined> {
  const res = await s.request({ method: "HEAD", target: `/v2/${repo}/blobs/${digest}`, scopes: [pullScope(repo)] });
  discard(res);
  if (res.status === 404) return undefined;
  if (res.status === 401 || res.status === 403) {
    // A HEAD answer has no body to say why: the registry's own words for the status (distribution's errcode).
    const why = res.status === 401 ? "unauthorized: authentication required" : "denied: requested access to the resource is denied";
    throw new RegistryError(`checking blob ${blobName(s, repo, digest)}: ${why}`, res.status, [], statusHint(s.host, res.status));
  }
  if (res.status !== 200) throw await blobError(s, res, repo, digest);
  const len = Number(header(res, "content-length"));
  return { size: Number.isFinite(len) ? len : undefined };
}
