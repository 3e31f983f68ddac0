import type { Readable } from "node:stream";
import { getBlob, openBlob, statBlob, type BlobPart, type OpenBlobOptions } from "./blob-read.js";
import { mountBlob, uploadBlob, type StreamFactory, type UploadOptions } from "./blob-upload.js";
import { redactUrl } from "./errors.js";
import { discard } from "./http.js";
import { all, catalogPage, tagsPage, type Page, type PageOptions } from "./listing.js";
import { deleteManifest, getManifest, headManifest, putManifest, type FetchedManifest, type ManifestInfo } from "./manifests.js";
import { checkDigest, checkReference, checkRepository } from "./names.js";
import { RegistrySession, type RegistryClientOptions } from "./session.js";

// A client for one registry host speaking the OCI distribution API
// (https://github.com/opencontainers/distribution-spec/blob/main/spec.md).
// Repositories are plain paths ("library/busybox"); turning a user's image
// reference into host and path is the image room's job.

export type { RegistryClientOptions } from "./session.js";
export type { FetchedManifest, ManifestInfo } from "./manifests.js";
export type { BlobPart, OpenBlobOptions } from "./blob-read.js";
export type { StreamFactory, UploadOptions } from "./blob-upload.js";
export type { Page, PageOptions } from "./listing.js";
export type { Credentials } from "./auth.js";

export class RegistryClient {
  readonly session: RegistrySession;

  /** `host` as in image references: "127.0.0.1:5000", "ghcr.io", "docker.io". */
  constructor(readonly host: string, opts: RegistryClientOptions = {}) {
    this.session = new RegistrySession(host, opts);
  }

  /** GET /v2/: which URL answered and which authentication it asks for. */
  async ping(): Promise<{ url: string; auth?: "bearer" | "basic" }> {
    const url = await this.session.baseUrl();
    return { url: redactUrl(url), auth: this.session.auth.scheme as "bearer" | "basic" | undefined };
  }

  /**
   * Check the credentials the client was made with, as `docker login` does:
   * a token from the realm (Bearer) or an authorized GET /v2/ (Basic).
   */
  async checkLogin(): Promise<void> {
    const res = await this.session.request({ method: "GET", target: "/v2/", scopes: [] });
    if (res.status === 200) {
      discard(res);
      return;
    }
    throw await this.session.statusError(res, `Get "${redactUrl(res.url)}"`);
  }

  async getManifest(repo: string, reference: string, accept?: string[]): Promise<FetchedManifest> {
    return getManifest(this.session, checkRepository(repo), checkReference(reference), accept);
  }

  async headManifest(repo: string, reference: string, accept?: string[]): Promise<ManifestInfo | undefined> {
    return headManifest(this.session, checkRepository(repo), checkReference(reference), accept);
  }

  /** Store a manifest under a tag or digest; returns the manifest's digest. */
  async putManifest(repo: string, reference: string, raw: Buffer, mediaType: string): Promise<string> {
    return putManifest(this.session, checkRepository(repo), checkReference(reference), raw, mediaType);
  }

  async deleteManifest(repo: string, digest: string): Promise<void> {
    return deleteManifest(this.session, checkRepository(repo), checkDigest(digest));
  }

  /** One GET of a blob from `offset` (no resuming, no verification): resume by calling again at the new offset. */
  async getBlob(repo: string, digest: string, opts: { offset?: number } = {}): Promise<BlobPart> {
    return getBlob(this.session, checkRepository(repo), checkDigest(digest), opts);
  }

  /** A blob as one stream that resumes dropped connections itself and checks the digest at the end. */
  openBlob(repo: string, digest: string, opts: OpenBlobOptions = {}): Readable {
    return openBlob(this.session, checkRepository(repo), checkDigest(digest), opts);
  }

  async hasBlob(repo: string, digest: string): Promise<boolean> {
    return (await statBlob(this.session, checkRepository(repo), checkDigest(digest))) !== undefined;
  }

  async statBlob(repo: string, digest: string): Promise<{ size?: number } | undefined> {
    return statBlob(this.session, checkRepository(repo), checkDigest(digest));
  }

  /** Link a blob from another repository of the same registry; false means "upload it instead". */
  async mountBlob(repo: string, digest: string, fromRepo: string): Promise<boolean> {
    return mountBlob(this.session, checkRepository(repo), checkDigest(digest), checkRepository(fromRepo));
  }

  /** Push a blob; `open` must give its bytes from the start every time it is called (failed uploads restart). */
  async uploadBlob(repo: string, digest: string, size: number, open: StreamFactory, opts: UploadOptions = {}): Promise<void> {
    return uploadBlob(this.session, checkRepository(repo), checkDigest(digest), size, open, opts);
  }

  async tagsPage(repo: string, opts: PageOptions = {}): Promise<Page<string>> {
    return tagsPage(this.session, checkRepository(repo), opts);
  }

  /** Every tag of a repository, following pagination. */
  async listTags(repo: string, opts: { pageSize?: number } = {}): Promise<string[]> {
    checkRepository(repo);
    return all(
      () => tagsPage(this.session, repo, { n: opts.pageSize }),
      (next) => tagsPage(this.session, repo, {}, next),
    );
  }

  /** One page of the registry's catalog. */
  catalog(opts: PageOptions = {}): Promise<Page<string>> {
    return catalogPage(this.session, opts);
  }

  /** Every repository in the catalog, following pagination. */
  catalogAll(opts: { pageSize?: number } = {}): Promise<string[]> {
    return all(
      () => catalogPage(this.session, { n: opts.pageSize }),
      (next) => catalogPage(this.session, {}, next),
    );
  }

  /** Close idle connections (the client stays usable). */
  close(): void {
    this.session.close();
  }
}
