import { ChallengeError } from "./errors.js";

// WWW-Authenticate challenges (RFC 7235 §4.1, auth-params of RFC 7230 §3.2.6):
//   Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"
//   Basic realm="Registry Realm"
// A header may carry several challenges separated by commas; we keep them all
// and pick one we support (Bearer over Basic, as Docker does).
// https://distribution.github.io/distribution/spec/auth/token/

export interface Challenge {
  /** Lower-cased scheme: "bearer", "basic", or whatever the registry sent. */
  scheme: string;
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;

/** Parse every challenge in a WWW-Authenticate value; throws ChallengeError on malformed syntax. */
export function parseChallenges(value: string, host: string): Challenge[] {
  const out: Challenge[] = [];
  let s = value.trim();
  const malformed = () =>
    new ChallengeError(`registry ${host} sent a malformed authentication challenge: ${JSON.stringify(value.slice(0, 200))}`, "the registry or a proxy in front of it is misconfigured; tell its operator");
  while (s.length) {
    const scheme = TOKEN.exec(s)?.[0];
    if (!scheme) throw malformed();
    s = s.slice(scheme.length).trimStart();
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(challenge);
    // auth-params until the next scheme (a token not followed by "=") or the end
    while (s.length) {
      const name = TOKEN.exec(s)?.[0];
      if (!name) {
        if (s[0] === ",") {
          s = s.slice(1).trimStart();
          continue;
        }
        throw malformed();
      }
      const rest = s.slice(name.length).trimStart();
      if (rest[0] !== "=") break; // a new challenge starts here
      s = rest.slice(1).trimStart();
      let v: string;
      if (s[0] === '"') {
        let i = 1;
        v = "";
        for (; i < s.length && s[i] !== '"'; i++) {
          if (s[i] === "\\" && i + 1 < s.length) i++;
          v += s[i];
        }
        if (i >= s.length) throw malformed();
        s = s.slice(i + 1);
      } else {
        const m = TOKEN.exec(s)?.[0];
        if (!m) throw malformed();
        v = m;
        s = s.slice(m.length);
      }
      challenge.params[name.toLowerCase()] = v;
      s = s.trimStart();
      if (s[0] === ",") s = s.slice(1).trimStart();
      else if (s.length) throw malformed();
    }
  }
  if (!out.length) throw malformed();
  return out;
}

/**
 * The challenge to answer: Bearer (with a usable realm URL) before Basic.
 * Anything else is refused with a message that names what was offered.
 */
export function chooseChallenge(value: string | undefined, host: string): Challenge {
  if (!value || !value.trim())
    throw new ChallengeError(`registry ${host} requires authentication but sent no WWW-Authenticate challenge`, "the registry or a proxy in front of it is misconfigured; tell its operator");
  const all = parseChallenges(value, host);
  const bearer = all.find((c) => c.scheme === "bearer");
  if (bearer) {
    const realm = bearer.params.realm;
    let url: URL | undefined;
    try {
      url = realm ? new URL(realm) : undefined;
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== "https:" && url.protocol !== "http:"))
      throw new ChallengeError(`registry ${host} sent a malformed Bearer challenge: realm ${realm === undefined ? "is missing" : `${JSON.stringify(realm)} is not an http(s) URL`}`, "the registry's token service is misconfigured; tell its operator");
    return bearer;
  }
  const basic = all.find((c) => c.scheme === "basic");
  if (basic) return basic;
  throw new ChallengeError(`registry ${host} asks for unsupported authentication: ${all.map((c) => c.scheme).join(", ")}`, "skiff supports Bearer token and Basic authentication");
}
