// Docker image references: `[domain[:port]/]path[:tag][@digest]`, with the
// grammar, normalization and error messages of distribution/reference
// (regexp.go, normalize.go) and opencontainers/go-digest, which Docker uses:
// - "busybox" is "docker.io/library/busybox:latest"; "user/repo" is on
//   docker.io; "index.docker.io" is docker.io;
// - the first path component is a domain when it contains "." or ":", is
//   "localhost", or has upper-case letters (repository paths are lower-case);
// - a tag is `[\w][\w.-]{0,127}`; a digest names a known algorithm (sha256,
//   sha512) with lower-case hex of the right length.
// https://github.com/distribution/reference/blob/main/reference.go

import { InvalidArgumentError } from "../errors.js";

export const DOCKER_HUB = "docker.io";
const LEGACY_HUB = "index.docker.io";
const OFFICIAL_PREFIX = "library/";
export const DEFAULT_TAG = "latest";
const MAX_PATH = 255;

// --- grammar (distribution/reference regexp.go) ----------------------------
const alnum = "[a-z0-9]+";
const separator = "(?:[._]|__|[-]+)";
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const ipv6 = "\\[(?:[a-fA-F0-9:]+)\\]";
const domainAndPort = `(?:${domainName}|${ipv6})(?::[0-9]+)?`;
const namePat = `(?:${domainAndPort}/)?${remoteName}`;
const tagPat = "[\\w][\\w.-]{0,127}";
const digestPat = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}";

const REFERENCE = new RegExp(`^(${namePat})(?::(${tagPat}))?(?:@(${digestPat}))?$`);
const NAME = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`);
const TAG = new RegExp(`^${tagPat}$`);
const DIGEST = new RegExp(`^${digestPat}$`);
const IDENTIFIER = /^[a-f0-9]{64}$/;
// go-digest: the algorithm grammar, and the hex length of each one Docker registers.
const DIGEST_LOOSE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const ALGORITHMS: Record<string, number> = { sha256: 64, sha512: 128 };

const HINT = "an image reference looks like [registry[:port]/]name[:tag][@sha256:<64 hex digits>], in lower case";

const invalid = (message: string) => new InvalidArgumentError(message, HINT);

/** Check a digest as go-digest's Validate does; throws with its message. */
export function validateDigest(digest: string): void {
  const colon = digest.indexOf(":");
  const algorithm = colon < 0 ? "" : digest.slice(0, colon);
  const encoded = colon < 0 ? "" : digest.slice(colon + 1);
  if (colon < 0 || encoded === "") throw invalid("invalid checksum digest format");
  const size = ALGORITHMS[algorithm];
  if (size === undefined)
    throw invalid(DIGEST_LOOSE.test(digest) ? "unsupported digest algorithm" : "invalid checksum digest format");
  if (encoded.length !== size) throw invalid("invalid checksum digest length");
  if (!/^[a-f0-9]+$/.test(encoded)) throw invalid("invalid checksum digest format");
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/** A parsed, normalized image reference. */
export class Reference {
  constructor(
    /** Registry host, with port if any: "docker.io", "localhost:5000". */
    readonly domain: string,
    /** Repository path on that registry: "library/busybox". */
    readonly path: string,
    readonly tag?: string,
    readonly digest?: string,
  ) {}

  /** "docker.io/library/busybox": the name without tag or digest. */
  repository(): string {
    return `${this.domain}/${this.path}`;
  }

  /** Fully qualified: "docker.io/library/busybox:latest", "…@sha256:…". */
  toString(): string {
    return this.repository() + (this.tag ? `:${this.tag}` : "") + (this.digest ? `@${this.digest}` : "");
  }

  /** The name as Docker shows it: "busybox", "user/repo", "localhost:5000/x". */
  familiarName(): string {
    if (this.domain !== DOCKER_HUB) return this.repository();
    // Only a single-component path under library/ loses its prefix.
    const rest = this.path.startsWith(OFFICIAL_PREFIX) ? this.path.slice(OFFICIAL_PREFIX.length) : undefined;
    return rest !== undefined && !rest.includes("/") ? rest : this.path;
  }

  /** The familiar name with tag and digest: "busybox:latest". */
  familiarString(): string {
    return this.familiarName() + (this.tag ? `:${this.tag}` : "") + (this.digest ? `@${this.digest}` : "");
  }

  /** The same repository with this tag (any digest is kept, as Docker's WithTag does). */
  withTag(tag: string): Reference {
    if (!TAG.test(tag)) throw invalid("invalid tag format");
    return new Reference(this.domain, this.path, tag, this.digest);
  }

  /** The same repository with this digest (any tag is kept). */
  withDigest(digest: string): Reference {
    if (!DIGEST.test(digest)) throw invalid("invalid digest format");
    validateDigest(digest);
    return new Reference(this.domain, this.path, this.tag, digest);
  }

  /** The repository alone, without tag or digest. */
  nameOnly(): Reference {
    return new Reference(this.domain, this.path);
  }

  equals(other: Reference): boolean {
    return this.toString() === other.toString();
  }
}

export interface ParseOptions {
  /** Registry for names without one; Docker's is docker.io. */
  defaultDomain?: string;
  /** Add ":latest" when neither tag nor digest is given (default true). */
  defaultTag?: boolean;
}

/** Split the registry off a name as Docker's splitDockerDomain does. */
function splitDomain(name: string, defaultDomain: string): [string, string] {
  const slash = name.indexOf("/");
  let domain: string;
  let remainder: string;
  if (slash < 0) {
    // A single component ("ubuntu", "ubuntu:22.04") is never a host, not even
    // "localhost:5000": the part after ":" is a tag.
    [domain, remainder] = [defaultDomain, name];
  } else {
    const first = name.slice(0, slash);
    const rest = name.slice(slash + 1);
    if (first === "localhost" || /[.:]/.test(first) || first.toLowerCase() !== first)
      [domain, remainder] = [first === LEGACY_HUB ? DOCKER_HUB : first, rest];
    else [domain, remainder] = [defaultDomain, name];
  }
  // Official images live under library/ on Docker Hub only.
  if (domain === DOCKER_HUB && !remainder.includes("/")) remainder = OFFICIAL_PREFIX + remainder;
  return [domain, remainder];
}

/** Where a short name goes when no domain is given: `[registries] default` in skiff.conf. */
let configuredDefault = DOCKER_HUB;

/** Set once per process by the engine from the configuration; short names then resolve there everywhere. */
export function setDefaultDomain(domain: string): void {
  configuredDefault = domain;
}

/**
 * Parse what a user typed ("busybox", "ghcr.io/o/r:1.2", "x@sha256:…") into a
 * fully qualified reference. Throws InvalidArgumentError with Docker's message.
 */
export function parseReference(input: string, opts: ParseOptions = {}): Reference {
  const defaultDomain = opts.defaultDomain ?? configuredDefault;
  if (IDENTIFIER.test(input))
    throw invalid(`invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`);
  const [domain, remainder] = splitDomain(input, defaultDomain);
  const colon = remainder.indexOf(":");
  const remote = colon < 0 ? remainder : remainder.slice(0, colon);
  if (remote.toLowerCase() !== remote)
    throw invalid(`invalid reference format: repository name (${remote}) must be lowercase`);

  const full = `${domain}/${remainder}`;
  const m = REFERENCE.exec(full);
  if (!m) {
    const lower = full.toLowerCase();
    if (lower !== full && REFERENCE.test(lower)) throw invalid("repository name must be lowercase");
    throw invalid("invalid reference format");
  }
  const [, name, tag, digest] = m;
  const parts = NAME.exec(name!)!;
  const path = parts[2]!;
  if (path.length > MAX_PATH) throw invalid(`repository name must not be more than ${MAX_PATH} characters`);
  if (digest) validateDigest(digest);
  const addTag = (opts.defaultTag ?? true) && !tag && !digest;
  return new Reference(parts[1]!, path, addTag ? DEFAULT_TAG : tag || undefined, digest || undefined);
}
