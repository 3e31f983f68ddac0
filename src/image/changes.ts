import { InvalidArgumentError } from "../errors.js";
import type { ContainerConfig } from "./types.js";

// --change for import and commit: Dockerfile instructions that only edit the
// image config. Docker allows CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD,
// STOPSIGNAL, USER, VOLUME and WORKDIR here.

export const CHANGE_INSTRUCTIONS = ["CMD", "ENTRYPOINT", "ENV", "EXPOSE", "LABEL", "ONBUILD", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"];

/** A parsed config-only instruction. */
export interface ConfigInstruction {
  keyword: string;
  /** For CMD/ENTRYPOINT: the exec form, or the shell form's text. */
  json?: string[];
  text: string;
  /** key/value pairs (ENV, LABEL). */
  pairs?: [string, string][];
  /** words (EXPOSE, VOLUME). */
  words?: string[];
}

function unquote(s: string): string {
  if (s.length >= 2 && ((s[0] === '"' && s.at(-1) === '"') || (s[0] === "'" && s.at(-1) === "'"))) return s.slice(1, -1).replace(/\\(.)/g, "$1");
  return s;
}

/** Split at unquoted whitespace. */
function words(s: string): string[] {
  const out: string[] = [];
  const re = /"((?:\\.|[^"\\])*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out.push(m[0]);
  return out;
}

function pairsOf(keyword: string, rest: string): [string, string][] {
  const ws = words(rest);
  if (ws.length && !ws[0]!.includes("=")) {
    // Legacy "ENV key value".
    const sp = rest.search(/\s/);
    if (sp < 0) throw new InvalidArgumentError(`${keyword} must have two arguments`);
    return [[rest.slice(0, sp), unquote(rest.slice(sp).trim())]];
  }
  return ws.map((w) => {
    const eq = w.indexOf("=");
    if (eq <= 0) throw new InvalidArgumentError(`${keyword} names can not be blank`);
    return [w.slice(0, eq), unquote(w.slice(eq + 1))] as [string, string];
  });
}

export function parseConfigInstruction(line: string): ConfigInstruction {
  const m = /^\s*(\w+)\s*(.*)$/s.exec(line);
  if (!m) throw new InvalidArgumentError(`invalid change: ${line}`);
  const keyword = m[1]!.toUpperCase();
  const text = m[2]!.trim();
  if (!CHANGE_INSTRUCTIONS.includes(keyword))
    throw new InvalidArgumentError(`${keyword} is not a valid change command`, `use one of ${CHANGE_INSTRUCTIONS.join(", ")}`);
  const ins: ConfigInstruction = { keyword, text };
  if (keyword === "CMD" || keyword === "ENTRYPOINT" || keyword === "VOLUME") {
    if (text.startsWith("[")) {
      try {
        const v = JSON.parse(text) as unknown;
        if (Array.isArray(v) && v.every((x) => typeof x === "string")) ins.json = v;
      } catch {
        /* not JSON: shell form, as Docker falls back */
      }
    }
  }
  if (keyword === "ENV" || keyword === "LABEL") ins.pairs = pairsOf(keyword, text);
  if (keyword === "EXPOSE" || keyword === "VOLUME") ins.words = ins.json ?? words(text).map(unquote);
  return ins;
}

/** Apply one config-only instruction to a container config (returns a new object). */
export function applyConfigInstruction(config: ContainerConfig, ins: ConfigInstruction, shell: string[] = ["/bin/sh", "-c"]): ContainerConfig {
  const c: ContainerConfig = { ...config };
  const execOrShell = () => ins.json ?? [...(c.Shell ?? shell), ins.text];
  switch (ins.keyword) {
    case "CMD":
      c.Cmd = execOrShell();
      break;
    case "ENTRYPOINT":
      c.Entrypoint = execOrShell();
      break;
    case "ENV": {
      const env = [...(c.Env ?? [])];
      for (const [k, v] of ins.pairs ?? []) {
        const i = env.findIndex((e) => e.split("=", 1)[0] === k);
        if (i >= 0) env[i] = `${k}=${v}`;
        else env.push(`${k}=${v}`);
      }
      c.Env = env;
      break;
    }
    case "LABEL":
      c.Labels = { ...(c.Labels ?? {}), ...Object.fromEntries(ins.pairs ?? []) };
      break;
    case "EXPOSE": {
      const ports = { ...(c.ExposedPorts ?? {}) };
      for (const p of ins.words ?? []) ports[p.includes("/") ? p.toLowerCase() : `${p}/tcp`] = {};
      c.ExposedPorts = ports;
      break;
    }
    case "VOLUME": {
      const vols = { ...(c.Volumes ?? {}) };
      for (const v of ins.words ?? []) vols[v] = {};
      c.Volumes = vols;
      break;
    }
    case "USER":
      c.User = ins.text;
      break;
    case "WORKDIR":
      c.WorkingDir = ins.text.startsWith("/") ? ins.text : `${c.WorkingDir ?? "/"}/${ins.text}`.replace(/\/+/g, "/");
      break;
    case "STOPSIGNAL":
      c.StopSignal = ins.text;
      break;
    case "ONBUILD":
      c.OnBuild = [...(c.OnBuild ?? []), ins.text];
      break;
  }
  return c;
}

export function applyChanges(config: ContainerConfig, changes: string[]): ContainerConfig {
  return changes.reduce((c, line) => applyConfigInstruction(c, parseConfigInstruction(line)), config);
}
