import { chooseChallenge, type Challenge } from "./challenge.js";
import { ChallengeError, describeEntries, parseErrorBody, RegistryError } from "./errors.js";
import { readBody, type HttpResponse } from "./http.js";

// Answering a registry's challenge.
// Bearer: ask the realm for a token for the scopes a request needs
// (https://distribution.github.io/distribution/spec/auth/token/), anonymously
// or with the user's Basic credentials, or by OAuth2 refresh token when the
// credentials file holds an identity token
// (https://distribution.github.io/distribution/spec/auth/oauth/). Tokens are
// cached per scope set until they expire.
// Basic: send the credentials with every request.

export interface Credentials {
  username?: string;
  password?: string;
  /** OAuth2 refresh token ("identitytoken" in Docker's config.json). */
  identityToken?: string;
  /** A bearer token to send as-is ("registrytoken"). */
  registryToken?: string;
}

/** Sends the token request; the client supplies its timeouts, agents and retries. */
export type TokenFetcher = (url: URL, init: { method: "GET" | "POST"; headers: Record<string, string>; body?: Buffer }) => Promise<HttpResponse>;

interface CachedToken {
  header: string;
  expiresAt: number;
}

/** The token spec's default lifetime; a server must not issue tokens for less. */
const DEFAULT_TOKEN_SECONDS = 60;
/** Renew a little early so a token does not expire between cache and use. */
const EXPIRY_MARGIN_MS = 5_000;

export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

export function pushScope(repository: string): string {
  return `repository:${repository}:pull,push`;
}

export const CATALOG_SCOPE = "registry:catalog:*";

/** Whether the actions granted by `have` include those of `want` ("repository:a:pull,push" covers "repository:a:pull"). */
function covers(have: string[], want: string[]): boolean {
  const split = (s: string) => {
    const i = s.lastIndexOf(":");
    return { resource: s.slice(0, i), actions: new Set(s.slice(i + 1).split(",")) };
  };
  const granted = have.map(split);
  return want.every((w) => {
    const x = split(w);
    return granted.some((g) => g.resource === x.resource && [...x.actions].every((a) => g.actions.has(a) || g.actions.has("*")));
  });
}

export function basicHeader(c: Credentials): string | undefined {
  if (c.username === undefined || c.password === undefined) return undefined;
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`;
}

export class Authenticator {
  private challenge?: Challenge;
  private readonly tokens = new Map<string, CachedToken>();
  /** Token requests under way, so parallel layer reads share one. */
  private readonly pending = new Map<string, Promise<CachedToken>>();

  constructor(
    private readonly host: string,
    private readonly credentials: Credentials | undefined,
    private readonly fetchToken: TokenFetcher,
    private readonly idleMs: number,
  ) {}

  /** What the registry's /v2/ said; undefined when it needs no authentication. */
  setChallenge(c: Challenge | undefined): void {
    this.challenge = c;
  }

  get scheme(): string | undefined {
    return this.challenge?.scheme;
  }

  /** The Authorization header for a request needing `scopes`, fetching a token when needed. */
  async header(scopes: string[]): Promise<string | undefined> {
    const c = this.challenge;
    if (!c) return undefined;
    if (c.scheme === "basic") return this.credentials ? basicHeader(this.credentials) : undefined;
    if (this.credentials?.registryToken) return `Bearer ${this.credentials.registryToken}`;
    const key = [...scopes].sort().join(" ");
    const now = Date.now();
    const exact = this.tokens.get(key);
    if (exact && exact.expiresAt > now) return exact.header;
    for (const [k, t] of this.tokens) if (t.expiresAt > now && covers(k ? k.split(" ") : [], scopes)) return t.header;
    let request = this.pending.get(key);
    if (!request) {
      request = this.requestToken(c, scopes).finally(() => this.pending.delete(key));
      this.pending.set(key, request);
    }
    const token = await request;
    this.tokens.set(key, token);
    return token.header;
  }

  /**
   * After a 401: learn the challenge it carries (a new realm, or the scope a
   * registry says was insufficient) and forget the token that failed. True
   * when another try could succeed.
   */
  refresh(wwwAuthenticate: string | undefined, scopes: string[], sentAuthorization: boolean): boolean {
    const c = chooseChallenge(wwwAuthenticate, this.host);
    this.challenge = c;
    // Basic: only credentials we have not sent yet can change the answer.
    if (c.scheme === "basic") return !!this.credentials && !sentAuthorization;
    // Bearer: the token may have expired early or lacked a scope the
    // challenge now names; one fresh token is worth a try.
    for (const [k] of this.tokens) if (covers(k ? k.split(" ") : [], scopes)) this.tokens.delete(k);
    return true;
  }

  private async requestToken(c: Challenge, scopes: string[]): Promise<CachedToken> {
    const realm = new URL(c.params.realm);
    const all = [...new Set([...scopes, ...(c.params.scope ? c.params.scope.split(" ") : [])])];
    const cred = this.credentials;
    let res: HttpResponse;
    if (cred?.identityToken) {
      // OAuth2 refresh-token grant: POST form to the realm.
      const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: cred.identityToken, client_id: "skiff" });
      if (c.params.service) form.set("service", c.params.service);
      if (all.length) form.set("scope", all.join(" "));
      res = await this.fetchToken(realm, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: Buffer.from(form.toString()),
      });
    } else {
      const url = new URL(realm);
      if (c.params.service) url.searchParams.set("service", c.params.service);
      for (const s of all) url.searchParams.append("scope", s);
      const headers: Record<string, string> = {};
      const basic = cred ? basicHeader(cred) : undefined;
      if (basic) {
        headers.Authorization = basic;
        url.searchParams.set("account", cred!.username!);
      }
      res = await this.fetchToken(url, { method: "GET", headers });
    }
    const body = await readBody(res, this.idleMs, 1 << 20);
    if (res.status !== 200) throw this.tokenError(res.status, body);
    let v: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      v = JSON.parse(body.toString());
    } catch {
      throw new ChallengeError(`token service of ${this.host} at ${realm.host} sent a malformed answer`, "the registry's token service is misconfigured; tell its operator");
    }
    const token = typeof v.token === "string" && v.token ? v.token : typeof v.access_token === "string" ? v.access_token : "";
    if (!token) throw new ChallengeError(`token service of ${this.host} at ${realm.host} sent no token`, "the registry's token service is misconfigured; tell its operator");
    const seconds = typeof v.expires_in === "number" && v.expires_in > 0 ? Math.max(v.expires_in, DEFAULT_TOKEN_SECONDS) : DEFAULT_TOKEN_SECONDS;
    return { header: `Bearer ${token}`, expiresAt: Date.now() + seconds * 1000 - EXPIRY_MARGIN_MS };
  }

  private tokenError(status: number, body: Buffer): RegistryError {
    const entries = parseErrorBody(body);
    const hint = `log in with 'skiff login ${this.host}'`;
    if (status === 401 || status === 403) {
      if (this.credentials && (this.credentials.username !== undefined || this.credentials.identityToken))
        return new RegistryError(
          `unauthorized: incorrect username or password`,
          401,
          entries,
          `check the credentials for ${this.host}, then 'skiff login ${this.host}' again`,
        );
      return new RegistryError(entries.length ? describeEntries(entries) : "unauthorized: authentication required", 401, entries, hint);
    }
    const detail = entries.length ? describeEntries(entries) : `token service answered ${status}`;
    return new RegistryError(`getting a token for ${this.host}: ${detail}`, status, entries);
  }
}
