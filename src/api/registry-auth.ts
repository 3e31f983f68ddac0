import { InvalidArgumentError } from "../errors.js";
import type { Credentials } from "../registry/auth.js";
import { normalizeKey } from "../registry/credentials.js";

// Registry credentials sent by clients (moby api/pkg/authconfig):
//   X-Registry-Auth    base64url(JSON AuthConfig) on pull, push, create?fromImage
//   X-Registry-Config  base64url(JSON map server → AuthConfig) on build
// Go's client sends URL-safe base64 with padding, dockerode the same,
// docker-py standard base64: Node's "base64" decoder reads both alphabets.
// An empty header or "{}" (what clients send when they have no login) means
// "no credentials given": the engine then uses skiff's own stored logins.

export interface RegistryAuth {
  credentials: Credentials;
  /** The registry the client meant ("serveraddress"), when it said. */
  serverAddress?: string;
}

function decodeBase64Json(header: string, name: string): unknown {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(header.trim()))
    throw new InvalidArgumentError(`invalid ${name} header: must be a valid base64url-encoded string`);
  const text = Buffer.from(header.trim(), "base64").toString("utf8");
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InvalidArgumentError(`invalid ${name} header: invalid JSON: ${(e as Error).message}`);
  }
}

const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);

/** One AuthConfig object (keys in any case, as Go's decoder allows) → credentials; undefined when it holds none. */
export function authConfigCredentials(value: unknown, name = "X-Registry-Auth"): RegistryAuth | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== "object" || Array.isArray(value))
    throw new InvalidArgumentError(`invalid ${name} header: invalid JSON: json: cannot unmarshal ${Array.isArray(value) ? "array" : typeof value} into Go value of type registry.AuthConfig`);
  const lower: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) lower[k.toLowerCase()] = v;
  const username = str(lower.username);
  const password = str(lower.password);
  // "auth" is base64("user:password"), as in config.json; some clients send only that.
  let fromAuth: { username?: string; password?: string } = {};
  const auth = str(lower.auth);
  if (auth && !username) {
    const plain = Buffer.from(auth, "base64").toString("utf8");
    const colon = plain.indexOf(":");
    if (colon > 0) fromAuth = { username: plain.slice(0, colon), password: plain.slice(colon + 1) };
  }
  const credentials: Credentials = {
    username: username ?? fromAuth.username,
    password: password ?? fromAuth.password,
    identityToken: str(lower.identitytoken),
    registryToken: str(lower.registrytoken),
  };
  for (const k of Object.keys(credentials) as (keyof Credentials)[]) if (credentials[k] === undefined) delete credentials[k];
  const serverAddress = str(lower.serveraddress);
  if (Object.keys(credentials).length === 0) return undefined;
  return serverAddress ? { credentials, serverAddress } : { credentials };
}

/** X-Registry-Auth → credentials, or undefined for "use the stored logins". */
export function decodeRegistryAuth(header: string | undefined): RegistryAuth | undefined {
  if (!header || header.trim() === "") return undefined;
  return authConfigCredentials(decodeBase64Json(header, "X-Registry-Auth"));
}

/** X-Registry-Config → credentials per registry host (keys normalised: "https://index.docker.io/v1/" is "docker.io"). */
export function decodeRegistryConfig(header: string | undefined): Map<string, Credentials> {
  const out = new Map<string, Credentials>();
  if (!header || header.trim() === "") return out;
  const raw = decodeBase64Json(header, "X-Registry-Config");
  if (raw === null) return out;
  if (typeof raw !== "object" || Array.isArray(raw)) throw new InvalidArgumentError("invalid X-Registry-Config header: invalid JSON: expected an object of registries");
  for (const [server, value] of Object.entries(raw as Record<string, unknown>)) {
    const a = authConfigCredentials(value, "X-Registry-Config");
    if (a) out.set(normalizeKey(server), a.credentials);
  }
  return out;
}
