import { API_VERSION, MIN_API_VERSION } from "../version.js";
import { InvalidArgumentError } from "../errors.js";

// Docker Engine API versions in request paths (/v1.44/containers/json). A
// path without a prefix means the newest version served: dockerode and
// testcontainers never send one, docker-py asks for /version unprefixed.
// Versions outside [MIN_API_VERSION, API_VERSION] are refused with moby's
// words (daemon/server/middleware/version.go), since the docker CLI prints
// them as they come and users search for them.

/** "/v1.44/containers/json" → { version: "1.44", path: "/containers/json" } (moby's /v{version:[0-9.]+}). */
export function splitVersionPrefix(path: string): { version?: string; path: string } {
  const m = /^\/v([0-9.]+)(\/.*)$/.exec(path);
  return m ? { version: m[1]!, path: m[2]! } : { path };
}

/** Numeric, part by part, missing parts as 0: "1.9" < "1.10", "1.44" == "1.44.0". */
export function compareApiVersions(a: string, b: string): number {
  const pa = a.split(".");
  const pb = b.split(".");
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = Number.parseInt(pa[i] ?? "0", 10) || 0;
    const y = Number.parseInt(pb[i] ?? "0", 10) || 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export function apiVersionAtLeast(version: string, min: string): boolean {
  return compareApiVersions(version, min) >= 0;
}

/** A request for a version this server does not speak (400). */
export class ApiVersionError extends InvalidArgumentError {
  /**
   * Below 1.24 moby answers in plain text, not JSON: clients that old print
   * a JSON body verbatim (daemon/server/server.go).
   */
  readonly plainText: boolean;

  constructor(message: string, plainText: boolean) {
    super(message);
    this.plainText = plainText;
  }
}

/** The version a request is served at; throws ApiVersionError outside the supported range. */
export function negotiateApiVersion(requested: string | undefined): string {
  if (requested === undefined || requested === "") return API_VERSION;
  if (compareApiVersions(requested, MIN_API_VERSION) < 0)
    throw new ApiVersionError(
      `client version ${requested} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
      true,
    );
  if (compareApiVersions(requested, API_VERSION) > 0)
    throw new ApiVersionError(`client version ${requested} is too new. Maximum supported API version is ${API_VERSION}`, false);
  return requested;
}
