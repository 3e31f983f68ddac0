import { isIP } from "node:net";

// Registry host names: the name in an image reference is not always the
// host that serves the API (docker.io is served by registry-1.docker.io),
// and loopback registries are plain http by default (Docker treats
// localhost and 127.0.0.0/8 as insecure registries:
// https://docs.docker.com/reference/cli/dockerd/#insecure-registries).

export const DOCKER_HUB = "docker.io";
const DOCKER_HUB_ALIASES = new Set(["docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"]);

export function isDockerHub(host: string): boolean {
  return DOCKER_HUB_ALIASES.has(host.toLowerCase());
}

/** The host:port the registry API lives at. */
export function apiHost(host: string): string {
  return isDockerHub(host) ? "registry-1.docker.io" : host;
}

/** Split "host:port" / "[v6]:port" into hostname and port. */
export function splitHostPort(host: string): { hostname: string; port?: string } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(host);
  if (m) return { hostname: m[1], port: m[2] };
  const i = host.lastIndexOf(":");
  if (i > 0 && host.indexOf(":") === i) return { hostname: host.slice(0, i), port: host.slice(i + 1) };
  return { hostname: host };
}

export function isLoopback(host: string): boolean {
  const { hostname } = splitHostPort(host.toLowerCase());
  if (hostname === "localhost" || hostname.endsWith(".localhost")) return true;
  if (isIP(hostname) === 4) return hostname.startsWith("127.");
  return hostname === "::1";
}

/** The familiar form Docker prints: "foo" for docker.io/library/foo, "ghcr.io/a/b" otherwise. */
export function familiarName(host: string, repository: string): string {
  if (!isDockerHub(host)) return `${host}/${repository}`;
  return repository.startsWith("library/") && repository.indexOf("/", 8) < 0 ? repository.slice(8) : repository;
}
