import { RegistryClient } from "../registry/client.js";
import { lookupCredentials } from "../registry/credentials.js";
import type { Credentials } from "../registry/client.js";
import type { Engine } from "./engine.js";

// One registry client per host, set up from skiff.conf (insecure, timeout)
// and the credentials in use: those an API client sent (X-Registry-Auth), or
// else the user's stored logins.

export function registryClient(engine: Engine, host: string, repo?: string, credentials?: Credentials): RegistryClient {
  const reg = engine.config.registries.get(host);
  const given = credentials && (credentials.username || credentials.identityToken || credentials.registryToken) ? credentials : undefined;
  return new RegistryClient(host, {
    insecure: reg?.insecure || undefined,
    credentials: given ?? lookupCredentials(host, repo),
    timeoutMs: engine.registryTimeoutMs,
  });
}
