import { readFileSync } from "node:fs";
import { parse } from "ini";
import { InvalidArgumentError } from "../errors.js";
import { defaultPaths, type Paths } from "./paths.js";

// skiff.conf (ini), DESIGN.md §4:
//   [storage]     driver = overlay | vfs ; root = /path ; runroot = /path
//   [registries]  default = docker.io ; insecure = host1, host2 ; timeout = 30 (seconds)
//   [registry "host"] mirrors = m1, m2 ; insecure = true
//   [network]     default = slirp4netns | host | none
//   [events]      max_size = 1048576 (bytes of events.log before it rotates)
//   [network]     default = slirp4netns | host | none ; pool = 10.89.0.0/16 ; pool_prefix = 24
// Unknown keys are ignored so newer config files keep working with older skiff.

export interface RegistryConfig {
  mirrors: string[];
  insecure: boolean;
}

export interface Config {
  paths: Paths;
  storageDriver: "overlay" | "vfs" | undefined;
  defaultRegistry: string;
  registries: Map<string, RegistryConfig>;
  /** Inactivity limit for registry requests ([registries] timeout, seconds); the client's default when absent. */
  registryTimeoutMs: number | undefined;
  defaultNetwork: string;
  /** [events] max_size: bytes of the event log before it is rotated; the log's default when absent. */
  eventsMaxSize: number | undefined;
  /** Where user-defined networks get their subnets: a block carved into /networkPoolPrefix pieces. */
  networkPool: string;
  networkPoolPrefix: number;
  file: string;
  fileFound: boolean;
}

const list = (v: unknown): string[] =>
  typeof v === "string" ? v.split(/[\s,]+/).filter(Boolean) : Array.isArray(v) ? v.map(String) : [];

/**
 * The ini package reads dots in a section name as nesting ([a.b] is b inside
 * a), which would split `[registry "docker.io"]` apart: escape them first.
 */
function escapeSectionDots(text: string): string {
  return text.replace(/^(\s*\[)([^\]\n]*)(\])/gm, (_m, open: string, name: string, close: string) => open + name.replace(/(?<!\\)\./g, "\\.") + close);
}

export function parseConfig(text: string, paths: Paths, file: string): Config {
  let raw: Record<string, unknown>;
  try {
    raw = parse(escapeSectionDots(text));
  } catch (e) {
    throw new InvalidArgumentError(`${file}: ${(e as Error).message}`, "fix the ini syntax of the configuration file");
  }
  const section = (name: string) => (raw[name] ?? {}) as Record<string, unknown>;
  const storage = section("storage");
  const driver = storage.driver === undefined ? undefined : String(storage.driver);
  if (driver !== undefined && driver !== "overlay" && driver !== "vfs")
    throw new InvalidArgumentError(`${file}: unknown storage driver "${driver}"`, `use driver = overlay or driver = vfs in [storage]`);
  const regs = section("registries");
  const registries = new Map<string, RegistryConfig>();
  for (const host of list(regs.insecure)) registries.set(host, { mirrors: [], insecure: true });
  for (const [key, value] of Object.entries(raw)) {
    const m = /^registry\s+"?([^"]+)"?$/.exec(key);
    if (!m || typeof value !== "object" || value === null) continue;
    const v = value as Record<string, unknown>;
    const prev = registries.get(m[1]!) ?? { mirrors: [], insecure: false };
    registries.set(m[1]!, {
      mirrors: list(v.mirrors),
      insecure: prev.insecure || v.insecure === true || v.insecure === "true",
    });
  }
  const timeout = regs.timeout === undefined ? undefined : Number(regs.timeout);
  if (timeout !== undefined && !(timeout > 0))
    throw new InvalidArgumentError(`${file}: invalid registry timeout "${String(regs.timeout)}"`, "use timeout = <seconds> in [registries], e.g. timeout = 30");
  const events = section("events");
  const maxSize = events.max_size === undefined ? undefined : Number(events.max_size);
  if (maxSize !== undefined && !(Number.isInteger(maxSize) && maxSize >= 4096))
    throw new InvalidArgumentError(`${file}: invalid events max_size "${String(events.max_size)}"`, "use max_size = <bytes> in [events], at least 4096");
  return {
    paths: {
      ...paths,
      storageRoot: storage.root ? String(storage.root) : paths.storageRoot,
      runRoot: storage.runroot ? String(storage.runroot) : paths.runRoot,
      runRootIsFallback: storage.runroot ? false : paths.runRootIsFallback,
    },
    storageDriver: driver as Config["storageDriver"],
    defaultRegistry: regs.default ? String(regs.default) : "docker.io",
    registries,
    registryTimeoutMs: timeout === undefined ? undefined : Math.round(timeout * 1000),
    defaultNetwork: section("network").default ? String(section("network").default) : "slirp4netns",
    eventsMaxSize: maxSize,
    ...networkPool(section("network"), file),
    file,
    fileFound: true,
  };
}

function networkPool(net: Record<string, unknown>, file: string): { networkPool: string; networkPoolPrefix: number } {
  const pool = net.pool === undefined ? "10.89.0.0/16" : String(net.pool);
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(pool);
  if (!m || m[1]!.split(".").some((o) => Number(o) > 255) || Number(m[2]) < 8 || Number(m[2]) > 30)
    throw new InvalidArgumentError(`${file}: invalid network pool "${pool}"`, "use pool = ADDRESS/BITS in [network], e.g. pool = 10.89.0.0/16");
  const prefix = net.pool_prefix === undefined ? 24 : Number(net.pool_prefix);
  if (!Number.isInteger(prefix) || prefix < Number(m[2]) || prefix > 30)
    throw new InvalidArgumentError(`${file}: invalid network pool_prefix "${String(net.pool_prefix)}"`, `use pool_prefix = N in [network], between ${m[2]} and 30 (default 24)`);
  return { networkPool: pool, networkPoolPrefix: prefix };
}

export function loadConfig(overrides: Partial<Paths> = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const base = defaultPaths(env);
  const file = env.SKIFF_CONFIG || base.configFile;
  let config: Config;
  try {
    config = parseConfig(readFileSync(file, "utf8"), base, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    config = parseConfig("", base, file);
    config.fileFound = false;
  }
  if (overrides.storageRoot) config.paths.storageRoot = overrides.storageRoot;
  if (overrides.runRoot) {
    config.paths.runRoot = overrides.runRoot;
    config.paths.runRootIsFallback = false;
  }
  return config;
}
