import { SyntaxProblem } from "./errors.js";
import { withSuggestion } from "./suggest.js";

// `RUN --mount=type=cache,target=/root/.cache` — a comma-separated list of
// key=value options (CSV, so a value with a comma can be quoted). Values are
// expanded with the step's variables, except `from`, which names a stage or
// image and so must be known before the build starts.
// https://docs.docker.com/reference/dockerfile/#run---mount

export type MountType = "bind" | "cache" | "tmpfs" | "secret" | "ssh";
export type CacheSharing = "shared" | "private" | "locked";

export interface RunMount {
  type: MountType;
  from?: string;
  source?: string;
  target?: string;
  readOnly: boolean;
  /** tmpfs size in bytes. */
  size?: number;
  /** Cache id, or secret/ssh id. */
  id?: string;
  sharing?: CacheSharing;
  required: boolean;
  /** secret: the environment variable to expose it as. */
  env?: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

const TYPES: readonly MountType[] = ["bind", "cache", "tmpfs", "secret", "ssh"];
const SHARING: readonly CacheSharing[] = ["shared", "private", "locked"];
const KEYS = ["type", "from", "source", "target", "readonly", "id", "sharing", "required", "size", "mode", "uid", "gid", "src", "dst", "destination", "ro", "rw", "readwrite", "env"];

/** Split one CSV record: fields separated by commas, `"…"` quoting with `""` for a quote. */
export function csvFields(text: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = "";
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new SyntaxProblem(`failed to parse csv mounts: extraneous or missing " in quoted-field`);
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i++];
      }
      if (i < text.length && text[i] !== ",") throw new SyntaxProblem(`failed to parse csv mounts: extraneous or missing " in quoted-field`);
    } else {
      const end = text.indexOf(",", i);
      field = text.slice(i, end < 0 ? text.length : end);
      i = end < 0 ? text.length : end;
    }
    fields.push(field);
    if (i >= text.length) return fields;
    i++; // the comma
  }
}

/** The checks Docker makes when it reads the Dockerfile: readable CSV, no variables in `from`. */
export function checkMountSyntax(text: string): void {
  for (const field of csvFields(text)) {
    const eq = field.indexOf("=");
    if (eq < 0 || field.slice(0, eq).toLowerCase() !== "from") continue;
    const value = field.slice(eq + 1);
    const dollar = value.indexOf("$");
    if (dollar !== -1 && dollar !== value.length - 1) throw new SyntaxProblem("'from' doesn't support variable expansion, define alias stage instead");
  }
}

/** The `from` of a mount, without expanding anything (for the stage graph). */
export function mountFrom(text: string): string | undefined {
  let from: string | undefined;
  for (const field of csvFields(text)) {
    const eq = field.indexOf("=");
    if (eq >= 0 && field.slice(0, eq).toLowerCase() === "from") from = field.slice(eq + 1);
  }
  return from;
}

function parseBool(key: string, value: string): boolean {
  // Go's strconv.ParseBool.
  if (["1", "t", "T", "TRUE", "true", "True"].includes(value)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(value)) return false;
  throw new SyntaxProblem(`invalid value for ${key}: ${value}`);
}

function parseUint(key: string, value: string, radix: 8 | 10): number {
  const ok = radix === 8 ? /^[0-7]+$/ : /^\d+$/;
  const n = parseInt(value, radix);
  if (!ok.test(value) || n > 0xffffffff) throw new SyntaxProblem(`invalid value ${value} for ${key}`);
  return n;
}

/** Docker's units.RAMInBytes: "64m", "1.5g", "512k", "100" (bytes); binary multiples. */
function ramInBytes(key: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(value);
  if (!m) throw new SyntaxProblem(`invalid value for ${key}: ${value}`);
  const unit = "bkmgtp".indexOf((m[2] ?? "b").toLowerCase());
  return Math.floor(Number(m[1]) * 1024 ** unit);
}

/** Parse a `--mount` value, expanding each value with `expand`. */
export function parseMount(text: string, expand: (value: string) => string = (v) => v): RunMount {
  const m: RunMount = { type: "bind", readOnly: true, required: false };
  let readOnlyGiven = false;
  const requireSecretOrSsh = (key: string) => {
    if (m.type !== "secret" && m.type !== "ssh") throw new SyntaxProblem(`unexpected key '${key}' for mount type '${m.type}'`);
  };
  for (const field of csvFields(text)) {
    const eq = field.indexOf("=");
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    if (eq < 0) {
      if (key === "readonly" || key === "ro") m.readOnly = true;
      else if (key === "readwrite" || key === "rw") m.readOnly = false;
      else if (key === "required") {
        requireSecretOrSsh(key);
        m.required = true;
        continue;
      } else throw new SyntaxProblem(`invalid field '${field}' must be a key=value pair`);
      readOnlyGiven = true;
      continue;
    }
    const value = expand(field.slice(eq + 1));
    switch (key) {
      case "type": {
        const t = value.toLowerCase() as MountType;
        if (!TYPES.includes(t)) throw new SyntaxProblem(withSuggestion(`unsupported mount type ${JSON.stringify(value)}`, value, TYPES, true));
        m.type = t;
        break;
      }
      case "from": m.from = value; break;
      case "source": case "src": m.source = value; break;
      case "target": case "dst": case "destination": m.target = value; break;
      case "readonly": case "ro": m.readOnly = parseBool(key, value); readOnlyGiven = true; break;
      case "readwrite": case "rw": m.readOnly = !parseBool(key, value); readOnlyGiven = true; break;
      case "required": requireSecretOrSsh(key); m.required = parseBool(key, value); break;
      case "size":
        if (m.type !== "tmpfs") throw new SyntaxProblem(`unexpected key '${key}' for mount type '${m.type}'`);
        m.size = ramInBytes(key, value);
        break;
      case "id": m.id = value; break;
      case "sharing": {
        const s = value.toLowerCase() as CacheSharing;
        if (!SHARING.includes(s)) throw new SyntaxProblem(withSuggestion(`unsupported sharing value ${JSON.stringify(value)}`, value, SHARING, true));
        m.sharing = s;
        break;
      }
      case "mode": m.mode = parseUint("mode", value, 8); break;
      case "uid": m.uid = parseUint("uid", value, 10); break;
      case "gid": m.gid = parseUint("gid", value, 10); break;
      case "env": m.env = value; break;
      default: throw new SyntaxProblem(withSuggestion(`unexpected key '${key}' in '${field}'`, key, KEYS, true));
    }
  }
  return validate(m, readOnlyGiven);
}

function validate(m: RunMount, readOnlyGiven: boolean): RunMount {
  if (m.type !== "secret" && m.type !== "ssh" && m.type !== "cache") {
    for (const k of ["mode", "uid", "gid"] as const)
      if (m[k] !== undefined) throw new SyntaxProblem(`${k} not allowed for ${JSON.stringify(m.type)} type mounts`);
  }
  // Bind, secret and ssh mounts are read-only unless asked; cache and tmpfs are writable.
  if (!readOnlyGiven) m.readOnly = !(m.type === "cache" || m.type === "tmpfs");
  if (m.type === "secret") {
    if (m.from !== undefined && m.from !== "") throw new SyntaxProblem("secret mount should not have a from");
    if (m.sharing) throw new SyntaxProblem("secret mount should not define sharing");
    if (!m.source && !m.target && !m.id) throw new SyntaxProblem("invalid secret mount. one of source, target required");
    if (m.source && m.id) throw new SyntaxProblem("both source and id can't be set");
  }
  if (m.sharing && m.type !== "cache") throw new SyntaxProblem(`invalid cache sharing set for ${m.type} mount`);
  return m;
}
