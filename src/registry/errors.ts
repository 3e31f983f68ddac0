import { SkiffError } from "../errors.js";

// Registry failures, worded the way Docker words them so that scripts and
// people who know Docker's messages recognise them:
//   Get "http://127.0.0.1:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused
//   manifest for localhost:5000/foo:bar not found: manifest unknown: manifest unknown
// The registry's JSON error body is {"errors":[{"code","message","detail"}]}
// (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes);
// Docker prints each as "<code in lower case, spaces for _>: <message>".

export interface RegistryErrorEntry {
  code: string;
  message: string;
  detail?: unknown;
}

/** The registry answered, and the answer was an error. */
export class RegistryError extends SkiffError {
  readonly httpStatus: number;
  readonly errors: RegistryErrorEntry[];

  constructor(message: string, httpStatus: number, errors: RegistryErrorEntry[], hint?: string) {
    super(message, { hint, status: httpStatus === 404 ? 404 : httpStatus === 401 || httpStatus === 403 ? httpStatus : 500 });
    this.httpStatus = httpStatus;
    this.errors = errors;
  }

  /** The first error code the registry gave (MANIFEST_UNKNOWN, DENIED, …). */
  get registryCode(): string | undefined {
    return this.errors[0]?.code;
  }
}

/** We could not talk to the registry at all, or it stopped talking mid-way. */
export class TransportError extends SkiffError {
  /** Worth another try: a reset, a timeout, a refused connection may pass. */
  readonly retryable: boolean;
  readonly errno?: string;

  constructor(message: string, opts: { retryable: boolean; errno?: string; hint?: string; cause?: unknown }) {
    super(message, { hint: opts.hint, cause: opts.cause });
    this.retryable = opts.retryable;
    this.errno = opts.errno;
  }
}

/** A 401 whose WWW-Authenticate we cannot use. */
export class ChallengeError extends SkiffError {
  constructor(message: string, hint?: string) {
    super(message, { hint, status: 401 });
  }
}

/** The one-line fix for an HTTP status the registry answered with. */
export function statusHint(host: string, status: number): string | undefined {
  if (status === 401) return `log in with 'skiff login ${host}'`;
  if (status === 403) return `your account on ${host} may lack access; check the name, or log in with 'skiff login ${host}'`;
  if (status === 429) return "the registry is rate-limiting requests; wait and try again, or log in to raise the limit";
  if (status >= 500) return "the registry failed; try again later, and tell its operator if it persists";
  return undefined;
}

const SENSITIVE_PARAM = /token|sig|signature|credential|secret|password|auth|key|state/i;

/** A URL fit for an error message: no user:password@, no signed or stateful query values. */
export function redactUrl(url: URL | string): string {
  let u: URL;
  try {
    u = new URL(String(url));
  } catch {
    return "<invalid URL>";
  }
  u.username = "";
  u.password = "";
  for (const k of [...u.searchParams.keys()]) if (SENSITIVE_PARAM.test(k)) u.searchParams.set(k, "redacted");
  return u.toString();
}

/** "MANIFEST_UNKNOWN" + "manifest unknown" → "manifest unknown: manifest unknown". */
export function describeEntries(errors: RegistryErrorEntry[]): string {
  return errors.map((e) => `${e.code.toLowerCase().replaceAll("_", " ")}: ${e.message}`).join("; ");
}

/** The error list of a registry's JSON error body, or [] when the body is something else. */
export function parseErrorBody(body: Buffer): RegistryErrorEntry[] {
  try {
    const v = JSON.parse(body.toString()) as { errors?: unknown; details?: unknown };
    if (!Array.isArray(v.errors)) return [];
    return v.errors
      .filter((e): e is Record<string, unknown> => !!e && typeof e === "object")
      .map((e) => ({ code: String(e.code ?? "UNKNOWN"), message: String(e.message ?? ""), detail: e.detail }));
  } catch {
    return [];
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Payload Too Large",
  416: "Range Not Satisfiable",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

export function statusLine(status: number): string {
  return `${status} ${STATUS_TEXT[status] ?? ""}`.trim();
}

function goMethod(method: string): string {
  return method ? method[0].toUpperCase() + method.slice(1).toLowerCase() : "";
}

function hostPort(url: URL): string {
  return url.port ? url.host : `${url.hostname}:${url.protocol === "https:" ? 443 : 80}`;
}

/** Node's errno codes in Go's words (Docker's messages come from Go's net package). */
function netReason(url: URL, e: { code?: string; message?: string; timeoutMs?: number; reason?: string }): string {
  const hp = hostPort(url);
  switch (e.code) {
    case "ECONNREFUSED":
      return `dial tcp ${hp}: connect: connection refused`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `dial tcp: lookup ${url.hostname}: no such host`;
    case "EHOSTUNREACH":
      return `dial tcp ${hp}: connect: no route to host`;
    case "ENETUNREACH":
      return `dial tcp ${hp}: connect: network is unreachable`;
    case "ECONNRESET":
      return `read tcp ${hp}: connection reset by peer`;
    case "EPIPE":
      return `write tcp ${hp}: broken pipe`;
    case "ETIMEDOUT":
      return e.timeoutMs !== undefined ? `timeout: no answer from ${hp} for ${e.timeoutMs / 1000}s` : `dial tcp ${hp}: i/o timeout`;
    case "ERR_SSL_WRONG_VERSION_NUMBER":
    case "EPROTO":
      return "http: server gave HTTP response to HTTPS client";
    case "ERR_STREAM_PREMATURE_CLOSE":
    case "ABORTED":
      return "unexpected EOF";
  }
  if (e.message === "aborted") return "unexpected EOF";
  if (e.code?.startsWith("ERR_TLS") || e.code?.includes("CERT") || e.code?.startsWith("ERR_SSL"))
    return `tls: ${e.message ?? e.code}`;
  return e.message ?? String(e.code ?? "connection failed");
}

const RETRYABLE = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EAI_AGAIN", "ECONNABORTED", "ERR_STREAM_PREMATURE_CLOSE", "ABORTED", "UND_ERR_SOCKET"]);

/**
 * `Get "URL": dial tcp …: connect: connection refused`, with a hint. `method`
 * may be "" for failures while reading a body (then `during` names the work).
 */
export function transportError(method: string, url: URL, err: unknown, during?: string): TransportError {
  const e = (err ?? {}) as { code?: string; message?: string; timeoutMs?: number; during?: string };
  const code = e.code ?? (e.message === "aborted" ? "ABORTED" : undefined);
  const reason = netReason(url, { ...e, code });
  const what = e.during ?? during;
  const prefix = method ? `${goMethod(method)} "${redactUrl(url)}"` : `${what ?? "reading"} from ${url.host}`;
  let hint: string | undefined;
  if (code === "ECONNREFUSED") hint = `is a registry listening at ${url.host}? check the address and port`;
  else if (code === "ENOTFOUND" || code === "EAI_AGAIN") hint = `check the registry name ${url.hostname} and your DNS`;
  else if (reason.startsWith("http: server gave HTTP"))
    hint = `the registry at ${url.host} speaks plain http; add it to [registries] insecure in skiff.conf if that is intended`;
  else if (reason.startsWith("tls:"))
    hint = `the certificate of ${url.host} is not trusted; add its CA to NODE_EXTRA_CA_CERTS, or mark the registry insecure in skiff.conf`;
  else if (code === "ETIMEDOUT") hint = "the registry or the network is too slow or down; try again later";
  return new TransportError(`${prefix}: ${reason}`, { retryable: code !== undefined && RETRYABLE.has(code), errno: code, hint, cause: err });
}
