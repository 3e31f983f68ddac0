import { spawnSync } from "node:child_process";
import { homedir } from "node:os";
import { join } from "node:path";
import { InvalidArgumentError, SkiffError } from "../errors.js";
import type { Credentials } from "./auth.js";
import { decodeEntry, encodeAuth, readAuthFile, writeAuthFile, type AuthFile } from "./auth-file.js";
import { isDockerHub } from "./hosts.js";

// Where credentials live and how login/logout change them.
//
// Reading, first match wins (containers-auth.json(5), then Docker):
//   $REGISTRY_AUTH_FILE, or $XDG_RUNTIME_DIR/containers/auth.json
//   $XDG_CONFIG_HOME/containers/auth.json (~/.config/containers/auth.json)
//   $DOCKER_CONFIG/config.json, or ~/.docker/config.json (with its credsStore/credHelpers)
//
// Writing: `login` writes the first of those files only, as Podman does: a
// daemonless, rootless engine shares Podman's session-scoped auth.json, and
// Docker's config.json (which may delegate to a credential store Docker
// alone manages) is read but not changed. `dockerConfig: true` also writes
// config.json for users who want Docker to see the login.
// `logout` removes the host from both files so that skiff is really logged
// out afterwards, whichever tool logged it in; with nothing to remove it
// fails with Docker's "Not logged in to HOST.".

/** Docker keys Docker Hub by its old index URL. */
export const DOCKER_HUB_CONFIG_KEY = "https://index.docker.io/v1/";

export interface CredentialFiles {
  /** Where login writes (auth.json format). */
  authFile: string;
  /** Read after authFile. */
  userAuthFile: string;
  /** Docker's config.json. */
  dockerConfig: string;
}

export function credentialFiles(env: NodeJS.ProcessEnv = process.env): CredentialFiles {
  const home = env.HOME || homedir();
  const configHome = env.XDG_CONFIG_HOME || join(home, ".config");
  const userAuthFile = join(configHome, "containers", "auth.json");
  const authFile = env.REGISTRY_AUTH_FILE || (env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, "containers", "auth.json") : userAuthFile);
  const dockerConfig = join(env.DOCKER_CONFIG || join(home, ".docker"), "config.json");
  return { authFile, userAuthFile, dockerConfig };
}

/** "https://index.docker.io/v1/" → "docker.io"; "https://host:5000/x" → "host:5000"; "quay.io/ns" stays. */
export function normalizeKey(key: string): string {
  let k = key.trim();
  const schemeLess = k.replace(/^https?:\/\//i, "");
  if (schemeLess !== k) k = schemeLess.split("/")[0]; // URL keys name a host only
  k = k.replace(/\/+$/, "");
  const slash = k.indexOf("/");
  const host = slash < 0 ? k : k.slice(0, slash);
  return (isDockerHub(host) ? "docker.io" : host.toLowerCase()) + (slash < 0 ? "" : k.slice(slash));
}

function canonicalHost(host: string): string {
  return normalizeKey(host);
}

/** Keys to try for host[/repository], most specific first (auth.json allows namespaces). */
function candidates(host: string, repository?: string): string[] {
  const h = canonicalHost(host);
  const out: string[] = [];
  if (repository) {
    const parts = repository.split("/");
    for (let i = parts.length; i > 0; i--) out.push(`${h}/${parts.slice(0, i).join("/")}`);
  }
  out.push(h);
  return out;
}

function fromFile(file: AuthFile, host: string, repository?: string): Credentials | undefined {
  const byKey = new Map<string, Credentials>();
  for (const [key, entry] of Object.entries(file.auths)) {
    const c = entry && typeof entry === "object" ? decodeEntry(entry) : undefined;
    const k = normalizeKey(key);
    if (c && !byKey.has(k)) byKey.set(k, c);
  }
  for (const k of candidates(host, repository)) {
    const c = byKey.get(k);
    if (c) return c;
  }
  return undefined;
}

/** Docker credential helper protocol: `docker-credential-<name> get`, server URL on stdin. */
function fromHelper(helper: string, host: string): Credentials | undefined {
  const server = canonicalHost(host) === "docker.io" ? DOCKER_HUB_CONFIG_KEY : host;
  const r = spawnSync(`docker-credential-${helper}`, ["get"], { input: server, encoding: "utf8", timeout: 30_000 });
  if (r.error || r.status !== 0) return undefined;
  try {
    const v = JSON.parse(r.stdout) as { Username?: string; Secret?: string };
    if (!v.Secret) return undefined;
    return v.Username === "<token>" ? { identityToken: v.Secret } : { username: v.Username ?? "", password: v.Secret };
  } catch {
    return undefined;
  }
}

/** The credentials to use for host (and repository), or undefined for anonymous access. */
export function lookupCredentials(host: string, repository?: string, env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  const f = credentialFiles(env);
  for (const path of [f.authFile, f.userAuthFile]) {
    const c = fromFile(readAuthFile(path), host, repository);
    if (c) return c;
  }
  const docker = readAuthFile(f.dockerConfig);
  const h = canonicalHost(host);
  const helper = Object.entries(docker.credHelpers ?? {}).find(([k]) => normalizeKey(k) === h)?.[1];
  if (helper) return fromHelper(helper, host);
  const c = fromFile(docker, host, undefined);
  if (c) return c;
  if (docker.credsStore) return fromHelper(docker.credsStore, host);
  return undefined;
}

function removeHost(file: AuthFile, host: string): boolean {
  const h = canonicalHost(host);
  let removed = false;
  for (const key of Object.keys(file.auths)) {
    if (normalizeKey(key) === h) {
      delete file.auths[key];
      removed = true;
    }
  }
  return removed;
}

export interface LoginOptions {
  env?: NodeJS.ProcessEnv;
  /** Write here instead of the default auth.json (like `--authfile`). */
  authFile?: string;
  /** Also record the login in Docker's config.json. */
  dockerConfig?: boolean;
}

/** Record credentials for host; returns the files written. Check them with RegistryClient.checkLogin first. */
export function storeCredentials(host: string, username: string, password: string, opts: LoginOptions = {}): string[] {
  if (!username) throw new InvalidArgumentError("username is empty", "give a username with --username");
  if (username.includes(":")) throw new InvalidArgumentError("username must not contain ':'", "the credentials file stores user:password; pick a username without ':'");
  if (!password) throw new InvalidArgumentError("password is empty", "give a password with --password or --password-stdin");
  const f = credentialFiles(opts.env);
  const written: string[] = [];
  const targets: [string, string][] = [[opts.authFile ?? f.authFile, canonicalHost(host)]];
  if (opts.dockerConfig) targets.push([f.dockerConfig, canonicalHost(host) === "docker.io" ? DOCKER_HUB_CONFIG_KEY : canonicalHost(host)]);
  for (const [path, key] of targets) {
    const file = readAuthFile(path);
    removeHost(file, host);
    file.auths[key] = { auth: encodeAuth(username, password) };
    writeAuthFile(path, file);
    written.push(path);
  }
  return written;
}

/** Forget credentials for host in every file skiff reads; returns the files changed. */
export function removeCredentials(host: string, opts: LoginOptions = {}): string[] {
  const f = credentialFiles(opts.env);
  const paths = opts.authFile ? [opts.authFile] : [...new Set([f.authFile, f.userAuthFile, f.dockerConfig])];
  const changed: string[] = [];
  for (const path of paths) {
    const file = readAuthFile(path);
    if (!removeHost(file, host)) continue;
    writeAuthFile(path, file);
    changed.push(path);
  }
  if (!changed.length) throw new SkiffError(`Not logged in to ${host}.`, { hint: `nothing to remove: no credentials for ${host} in ${paths.join(", ")}` });
  return changed;
}
