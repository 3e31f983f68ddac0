// Content digests and the ids made from them, used by every room: the store
// validates them, images and containers are named by them, and the faces
// print their short form.

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

/** A sha256 digest as the OCI spec writes it ("sha256:" and 64 lower-case hex digits). */
export function isDigest(s: unknown): s is string {
  return typeof s === "string" && DIGEST_RE.test(s);
}

/** Docker's short id (stringid.TruncateID): algorithm prefix dropped, 12 characters. */
export function shortId(id: string): string {
  const colon = id.indexOf(":");
  if (colon >= 0) id = id.slice(colon + 1);
  return id.length > 12 ? id.slice(0, 12) : id;
}
