import type { Credentials } from "../registry/client.js";
import { registryClient } from "./registry-client.js";
import type { Engine } from "./engine.js";

// `login` checks credentials against the registry before anything keeps
// them, as `docker login` does; the CLI's login command and the API's POST
// /auth share this check (Docker's daemon, too, only checks: the client
// stores the login).

/** The registry host a login is for: "docker.io" for Docker Hub under any of its names, else host[:port]. */
export function loginHost(engine: Engine, server?: string): string {
  if (!server) return engine.config.defaultRegistry;
  const host = server.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  return host === "index.docker.io" || host === "registry-1.docker.io" ? "docker.io" : host;
}

/** Check credentials with the registry (a token from its realm, or an authorized GET /v2/); throws the registry's refusal. */
export async function verifyLogin(engine: Engine, host: string, credentials: Credentials): Promise<void> {
  const client = registryClient(engine, host, undefined, credentials);
  try {
    await client.checkLogin();
  } finally {
    client.close();
  }
}
