import type { Readable } from "node:stream";
import { InvalidArgumentError, SkiffError } from "../errors.js";

// Request bodies. JSON ones are read whole under a size cap and decoded
// with moby's 400s (daemon/server/httputils/httputils.go ReadJSON): an
// explicit non-JSON Content-Type is refused, an empty body is no body, bad
// JSON is "invalid JSON: …". Shapes are checked only for fields an endpoint
// reads, with the wording of Go's decoder ("json: cannot unmarshal string
// into Go struct field Env of type []string"), because clients and users
// recognise it; unknown fields pass (the API's schema is open).

/** 4 MiB: far above any create/exec/network body; uploads (build, load, archive) are streamed, not read here. */
export const JSON_BODY_LIMIT = 4 << 20;

export class PayloadTooLargeError extends SkiffError {
  constructor(limit: number) {
    super(`request body larger than ${limit} bytes`, { status: 413 });
  }
}

/**
 * Read a whole body, refusing more than `limit` bytes. The rest of a body
 * too large is read and dropped rather than cut, so that the client still
 * gets the 413.
 */
export function readBody(stream: Readable, limit = JSON_BODY_LIMIT): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stream.off("data", onData);
        stream.off("end", onEnd);
        stream.resume();
        reject(new PayloadTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    stream.on("data", onData);
    stream.once("end", onEnd);
    stream.once("error", reject);
  });
}

/** moby's CheckForJSON, except that a body with no Content-Type is taken as JSON (podman does; some scripts omit it). */
export function checkJsonContentType(contentType: string | undefined): void {
  if (!contentType) return;
  const mime = contentType.split(";")[0]!.trim().toLowerCase();
  if (!/^[\w.+-]+\/[\w.+-]+$/.test(mime)) throw new InvalidArgumentError(`malformed Content-Type header (${contentType}): mime: no media type`);
  if (mime !== "application/json") throw new InvalidArgumentError(`unsupported Content-Type header (${contentType}): must be 'application/json'`);
}

/** Decode a JSON body; undefined for an empty one. */
export function decodeJson(bytes: Buffer): unknown {
  if (bytes.length === 0 || bytes.toString("utf8").trim() === "") return undefined;
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch (e) {
    throw new InvalidArgumentError(`invalid JSON: ${(e as Error).message}`);
  }
}

/**
 * What a body must look like: "string", "number", "integer", "boolean",
 * "any", [element] for arrays, { field: shape } for objects, and
 * { "*": shape } for maps with free keys. null is accepted anywhere (Go
 * leaves the zero value).
 */
export type Shape = "string" | "number" | "integer" | "boolean" | "any" | readonly [Shape] | { readonly [field: string]: Shape };

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return "array";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return "number";
  return typeof v === "object" ? "object" : typeof v;
}

function goType(shape: Shape): string {
  if (shape === "string") return "string";
  if (shape === "number") return "float64";
  if (shape === "integer") return "int64";
  if (shape === "boolean") return "bool";
  if (shape === "any") return "interface {}";
  if (Array.isArray(shape)) return `[]${goType(shape[0] as Shape)}`;
  const fields = shape as { readonly [f: string]: Shape };
  return "*" in fields ? `map[string]${goType(fields["*"]!)}` : "struct";
}

function mismatch(value: unknown, shape: Shape, path: string): InvalidArgumentError {
  const kind = jsonKind(value) === "number" ? `number ${String(value)}` : jsonKind(value);
  const where = path ? `Go struct field ${path}` : "Go value";
  return new InvalidArgumentError(`invalid JSON: json: cannot unmarshal ${kind} into ${where} of type ${goType(shape)}`);
}

/** Throw a 400 naming the first field whose JSON type does not fit `shape`. */
export function checkShape(value: unknown, shape: Shape, path = ""): void {
  if (value === null || value === undefined || shape === "any") return;
  if (shape === "string" || shape === "boolean" || shape === "number" || shape === "integer") {
    const ok =
      shape === "string" ? typeof value === "string"
      : shape === "boolean" ? typeof value === "boolean"
      : typeof value === "number" && (shape === "number" || Number.isInteger(value));
    if (!ok) throw mismatch(value, shape, path);
    return;
  }
  if (Array.isArray(shape)) {
    if (!Array.isArray(value)) throw mismatch(value, shape, path);
    value.forEach((v) => checkShape(v, shape[0] as Shape, path));
    return;
  }
  if (typeof value !== "object" || Array.isArray(value)) throw mismatch(value, shape, path);
  const fields = shape as { readonly [f: string]: Shape };
  const any = fields["*"];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const sub = any ?? fields[k];
    if (sub) checkShape(v, sub, any ? path : path ? `${path}.${k}` : k);
  }
}
