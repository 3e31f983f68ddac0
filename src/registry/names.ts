import { InvalidArgumentError } from "../errors.js";
import { hasherFor, isDigestReference } from "./digest.js";

// Repository names and references go into URL paths: anything outside the
// distribution grammar is refused here, before it can reach a request line
// (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests).

const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const REPOSITORY = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[\w][\w.-]{0,127}$/;

export function checkRepository(repo: string): string {
  if (!REPOSITORY.test(repo) || repo.length > 255)
    throw new InvalidArgumentError(`invalid repository name ${JSON.stringify(repo.slice(0, 300))}`, "repository names are lower-case path components such as library/busybox");
  return repo;
}

export function checkReference(reference: string): string {
  if (!TAG.test(reference) && !isDigestReference(reference))
    throw new InvalidArgumentError(`invalid tag or digest ${JSON.stringify(reference.slice(0, 300))}`, "tags are up to 128 letters, digits, '_', '.' and '-'; digests look like sha256:<hex>");
  return reference;
}

/** A digest we can verify (sha256 or sha512, lower-case hex). */
export function checkDigest(digest: string): string {
  hasherFor(digest);
  return digest;
}
