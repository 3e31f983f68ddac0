import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { SkiffError } from "../errors.js";
import type { Credentials } from "./auth.js";

// The two credential file formats, which share one shape:
//   containers-auth.json(5) ($XDG_RUNTIME_DIR/containers/auth.json, Podman, Skopeo)
//   Docker's config.json (~/.docker/config.json)
//   {"auths": {"<key>": {"auth": base64("user:password"), "identitytoken": "…"}}, …}
// Keys may be bare hosts, hosts with a repository namespace (auth.json), or
// URLs (Docker's "https://index.docker.io/v1/"). Every other key of the file
// (credsStore, proxies, psFormat, …) is kept as it was.
// Nothing here may put a file's content into an error message: it holds secrets.

export interface AuthEntry {
  auth?: string;
  identitytoken?: string;
  registrytoken?: string;
  [key: string]: unknown;
}

export interface AuthFile {
  auths: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [key: string]: unknown;
}

/** Read a credential file; a missing file is an empty one. */
export function readAuthFile(path: string): AuthFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "ENOTDIR") return { auths: {} };
    throw new SkiffError(`cannot read credentials file ${path}: ${(e as NodeJS.ErrnoException).code ?? "error"}`, { hint: "check the file's ownership and permissions", cause: e });
  }
  if (!text.trim()) return { auths: {} };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the input, which may be a password: leave it out.
    throw new SkiffError(`credentials file ${path} is not valid JSON`, { hint: `fix or remove ${path}, then log in again` });
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new SkiffError(`credentials file ${path} is not a JSON object`, { hint: `fix or remove ${path}, then log in again` });
  const file = v as AuthFile;
  if (!file.auths || typeof file.auths !== "object" || Array.isArray(file.auths)) file.auths = {};
  return file;
}

/** Write a credential file atomically, mode 0600 in a 0700 directory (created if missing). */
export function writeAuthFile(path: string, file: AuthFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  const data = Buffer.from(`${JSON.stringify(file, null, "\t")}\n`);
  const fd = openSync(tmp, "wx", 0o600);
  try {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      /* already closed */
    }
    rmSync(tmp, { force: true });
    throw e;
  }
}

export function encodeAuth(username: string, password: string): string {
  return Buffer.from(`${username}:${password}`).toString("base64");
}

/** An entry's credentials, or undefined when it holds none we can use. */
export function decodeEntry(entry: AuthEntry): Credentials | undefined {
  const out: Credentials = {};
  if (typeof entry.auth === "string" && entry.auth) {
    const plain = Buffer.from(entry.auth, "base64").toString();
    const i = plain.indexOf(":");
    if (i > 0) {
      out.username = plain.slice(0, i);
      out.password = plain.slice(i + 1);
    }
  }
  if (typeof entry.identitytoken === "string" && entry.identitytoken) out.identityToken = entry.identitytoken;
  if (typeof entry.registrytoken === "string" && entry.registrytoken) out.registryToken = entry.registrytoken;
  return Object.keys(out).length ? out : undefined;
}
