import { execFileSync } from "node:child_process";
import { randomBytes, sign, X509Certificate, createPrivateKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

// A token server following the distribution token specification
// (https://distribution.github.io/distribution/spec/auth/token/ and jwt/):
// GET /token?service=&scope=…[&account=] with optional Basic credentials, or
// POST /token with an OAuth2 refresh_token grant, answers
// {token, access_token, expires_in, issued_at}. Tokens are ES256 JWTs whose
// header carries the signing certificate in `x5c`; the registry trusts them
// because that certificate is its `rootcertbundle` (distribution 2.8 checks
// x5c against the bundle, or looks up a libtrust `kid` in it).

export type Policy = (subject: string | undefined, type: string, name: string, requested: string[]) => string[];

/** Anonymous pull of everything; users get every action they ask for. */
export const anonymousPullPolicy: Policy = (subject, type, _name, requested) => {
  if (subject) return requested;
  if (type === "repository") return requested.filter((a) => a === "pull");
  return [];
};

export interface TokenServerOptions {
  service: string;
  issuer: string;
  users: Record<string, string>;
  policy?: Policy;
  /** Seconds a token lives (the spec's floor is 60). */
  expiresIn?: number;
  /** refresh token → username, for the OAuth2 grant. */
  refreshTokens?: Record<string, string>;
}

export interface TokenRequestRecord {
  method: string;
  subject?: string;
  scopes: string[];
  status: number;
}

export interface TokenServer {
  realm: string;
  certPath: string;
  requests: TokenRequestRecord[];
  stop(): Promise<void>;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

/** An EC P-256 key and a self-signed certificate for it, made with the openssl CLI (node:crypto cannot issue certificates). */
export function makeSigningCert(dir: string): { key: KeyObject; certPath: string; certDer: Buffer } {
  const keyPath = join(dir, "token.key");
  const certPath = join(dir, "token.crt");
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyPath, "-out", certPath, "-days", "2", "-subj", "/CN=skiff test token issuer"], { stdio: "pipe" });
  const cert = new X509Certificate(readFileSync(certPath));
  return { key: createPrivateKey(readFileSync(keyPath)), certPath, certDer: cert.raw };
}

function parseScope(s: string): { type: string; name: string; actions: string[] } | undefined {
  const first = s.indexOf(":");
  const last = s.lastIndexOf(":");
  if (first < 0 || last <= first) return undefined;
  return { type: s.slice(0, first), name: s.slice(first + 1, last), actions: s.slice(last + 1).split(",").filter(Boolean) };
}

export async function startTokenServer(dir: string, opts: TokenServerOptions): Promise<TokenServer> {
  const { key, certPath, certDer } = makeSigningCert(dir);
  const policy = opts.policy ?? anonymousPullPolicy;
  const requests: TokenRequestRecord[] = [];

  const issue = (subject: string | undefined, scopes: string[]) => {
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = opts.expiresIn ?? 300;
    const access = scopes
      .map(parseScope)
      .filter((x) => x !== undefined)
      .map((x) => ({ type: x.type, name: x.name, actions: policy(subject, x.type, x.name, x.actions) }));
    const headerJson = { typ: "JWT", alg: "ES256", x5c: [certDer.toString("base64")] };
    const claims = { iss: opts.issuer, sub: subject ?? "", aud: opts.service, exp: now + expiresIn, nbf: now - 5, iat: now, jti: randomBytes(8).toString("hex"), access };
    const input = `${b64url(JSON.stringify(headerJson))}.${b64url(JSON.stringify(claims))}`;
    // JWS ES256 signatures are r||s, not DER (RFC 7518 §3.4).
    const sig = sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" });
    const token = `${input}.${b64url(sig)}`;
    return { token, access_token: token, expires_in: expiresIn, issued_at: new Date(now * 1000).toISOString() };
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      const answer = (status: number, body: unknown, subject?: string, scopes: string[] = []) => {
        requests.push({ method: req.method ?? "", subject, scopes, status });
        res.writeHead(status, { "Content-Type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (url.pathname !== "/token") return answer(404, { details: "not found" });
      if (req.method === "POST") {
        const form = new URLSearchParams(Buffer.concat(chunks).toString());
        const user = form.get("grant_type") === "refresh_token" ? opts.refreshTokens?.[form.get("refresh_token") ?? ""] : undefined;
        const scopes = (form.get("scope") ?? "").split(" ").filter(Boolean);
        if (!user) return answer(401, { details: "invalid refresh token" }, undefined, scopes);
        if (form.get("service") !== opts.service) return answer(400, { details: "unknown service" }, user, scopes);
        return answer(200, issue(user, scopes), user, scopes);
      }
      const scopes = url.searchParams.getAll("scope");
      if (url.searchParams.get("service") !== opts.service) return answer(400, { details: "unknown service" }, undefined, scopes);
      let subject: string | undefined;
      const auth = req.headers.authorization;
      if (auth) {
        const m = /^Basic (.+)$/i.exec(auth);
        const plain = m ? Buffer.from(m[1], "base64").toString() : "";
        const i = plain.indexOf(":");
        const user = plain.slice(0, i);
        if (i < 0 || opts.users[user] === undefined || opts.users[user] !== plain.slice(i + 1))
          return answer(401, { details: "incorrect username or password" }, undefined, scopes);
        subject = user;
      }
      return answer(200, issue(subject, scopes), subject, scopes);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    certPath,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
