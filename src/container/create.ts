import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, posix, resolve } from "node:path";
import { InvalidArgumentError } from "../errors.js";
import type { LocalImage } from "../image/service.js";
import { parseUlimit } from "../runtime/spec.js";
import type { ContainerRecord, EndpointRequest, HealthConfig, MountSpec, PortBinding } from "./record.js";
import { mergeHealthcheck, validateHealthcheck } from "./health.js";

// `create`/`run` flags → a container record, with Docker's parsing rules
// and error messages. Pure: no I/O but reading --env-file/--label-file.

export interface CreateRequest {
  image: string;
  command: string[];
  name?: string;
  env: string[];
  envFile: string[];
  workdir?: string;
  user?: string;
  groupAdd: string[];
  entrypoint?: string;
  hostname?: string;
  domainname?: string;
  readOnly?: boolean;
  tmpfs: string[];
  ulimit: string[];
  init?: boolean;
  stopSignal?: string;
  stopTimeout?: number;
  label: string[];
  labelFile: string[];
  restart: string;
  memory?: string;
  cpus?: string;
  pidsLimit?: string;
  interactive?: boolean;
  tty?: boolean;
  rm?: boolean;
  volume: string[];
  mount: string[];
  volumesFrom: string[];
  network?: string;
  /** Every --network (current Docker takes several); `network` is the first. */
  networks?: string[];
  networkAlias?: string[];
  ip?: string;
  link?: string[];
  publish: string[];
  publishAll?: boolean;
  expose: string[];
  dns: string[];
  dnsSearch?: string[];
  dnsOption?: string[];
  addHost: string[];
  macAddress?: string;
  capAdd: string[];
  capDrop: string[];
  privileged?: boolean;
  platform?: string;
  /** The requested healthcheck (flags or the API's Healthcheck); the image's fills what it leaves unset. */
  healthcheck?: HealthConfig;
}

/**
 * The networks asked for: each --network is a name or Docker's long form
 * (name=N,alias=A,ip=IP); --network-alias, --ip and --link belong to the
 * first. Whether a name is a user-defined network is the network room's
 * question (at create, through the hooks).
 */
export function endpointRequests(req: CreateRequest): { mode: string; networks: Record<string, EndpointRequest> } {
  const specs = req.networks?.length ? req.networks : req.network ? [req.network] : [];
  const networks: Record<string, EndpointRequest> = {};
  let mode = "";
  specs.forEach((spec, i) => {
    let name = spec;
    const aliases: string[] = [];
    let ip: string | undefined;
    if (/^name=/.test(spec)) {
      for (const kv of spec.split(",")) {
        const [k = "", v = ""] = kv.split(/=(.*)/s);
        if (k === "name") name = v;
        else if (k === "alias") aliases.push(v);
        else if (k === "ip") ip = v;
        else if (k !== "driver-opt" && k !== "mac-address") throw new InvalidArgumentError(`invalid field key ${k} in --network ${spec}`, "use name=NETWORK[,alias=ALIAS][,ip=IPV4]");
      }
    }
    if (i === 0) {
      mode = name;
      aliases.push(...(req.networkAlias ?? []));
      ip ??= req.ip;
    }
    if (networks[name]) throw new InvalidArgumentError(`network "${name}" is specified multiple times`);
    const links = i === 0 ? linkList(req.link) : null;
    networks[name] = { Aliases: aliases.length ? aliases : null, IPAMConfig: ip ? { IPv4Address: ip } : null, Links: links };
  });
  if (!specs.length && (req.networkAlias?.length || req.ip || req.link?.length))
    networks.default = { Aliases: req.networkAlias?.length ? req.networkAlias : null, IPAMConfig: req.ip ? { IPv4Address: req.ip } : null, Links: linkList(req.link) };
  return { mode, networks };
}

/** --link NAME[:ALIAS] → Docker's "NAME:ALIAS" (the alias defaults to the name). */
function linkList(links: string[] | undefined): string[] | null {
  return links?.length ? links.map((l) => (l.includes(":") ? l : `${l}:${l}`)) : null;
}

/** KEY=VALUE lines; a bare KEY takes the value from our environment (Docker's rule). */
export function parseEnvList(items: string[], files: string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  const add = (line: string) => {
    if (!line.trim() || line.trimStart().startsWith("#")) return;
    const eq = line.indexOf("=");
    if (eq === 0) throw new InvalidArgumentError(`invalid environment variable: ${line}`);
    if (eq < 0) {
      const v = env[line.trim()];
      if (v !== undefined) out.push(`${line.trim()}=${v}`);
    } else out.push(line);
  };
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, "utf8");
    } catch {
      throw new InvalidArgumentError(`open ${f}: no such file or directory`);
    }
    for (const line of text.split("\n")) add(line.replace(/\r$/, ""));
  }
  for (const i of items) add(i);
  return out;
}

/** Merge image env with ours: later keys replace earlier ones in place. */
export function mergeEnv(base: string[], over: string[]): string[] {
  const out = [...base];
  for (const e of over) {
    const k = e.split("=", 1)[0];
    const i = out.findIndex((x) => x.split("=", 1)[0] === k);
    if (i >= 0) out[i] = e;
    else out.push(e);
  }
  return out;
}

export function parseRestart(policy: string): ContainerRecord["HostConfig"]["RestartPolicy"] {
  const [name, count] = policy.split(":");
  if (name === "no" || name === "always" || name === "unless-stopped") {
    if (count !== undefined) throw new InvalidArgumentError(`maximum retry count cannot be used with restart policy '${name}'`);
    return { Name: name, MaximumRetryCount: 0 };
  }
  if (name === "on-failure") {
    const n = count === undefined ? 0 : Number(count);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`invalid restart policy format: maximum retry count must be a non-negative integer`);
    return { Name: name, MaximumRetryCount: n };
  }
  throw new InvalidArgumentError(`invalid restart policy format: no such policy: ${policy}`);
}

/** Docker's -p: [ip:][hostPort:]containerPort[/proto], with ranges. */
export function parsePublish(specs: string[]): { exposed: string[]; bindings: Record<string, PortBinding[]> } {
  const bindings: Record<string, PortBinding[]> = {};
  const exposed: string[] = [];
  for (const spec of specs) {
    const [rest, proto = "tcp"] = spec.split("/");
    if (!["tcp", "udp", "sctp"].includes(proto)) throw new InvalidArgumentError(`invalid proto: ${proto}`);
    let ip = "";
    let parts = rest!;
    const v6 = /^\[([^\]]+)\]:(.*)$/.exec(parts);
    if (v6) {
      ip = v6[1]!;
      parts = v6[2]!;
    }
    const fields = parts.split(":");
    let hostPort = "";
    let ctrPort: string;
    if (fields.length === 1) ctrPort = fields[0]!;
    else if (fields.length === 2) [hostPort, ctrPort] = fields as [string, string];
    else if (fields.length === 3 && !v6) [ip, hostPort, ctrPort] = fields as [string, string, string];
    else throw new InvalidArgumentError(`invalid port format: ${spec}`);
    const range = (s: string) => {
      const m = /^(\d+)(?:-(\d+))?$/.exec(s);
      if (!m) throw new InvalidArgumentError(`invalid containerPort: ${s}`);
      const a = Number(m[1]);
      const b = m[2] ? Number(m[2]) : a;
      if (a < 1 || b > 65535 || b < a) throw new InvalidArgumentError(`invalid port range: ${s}`);
      return [a, b] as const;
    };
    const [c0, c1] = range(ctrPort);
    const [h0, h1] = hostPort ? range(hostPort) : [0, 0];
    if (hostPort && h1 - h0 !== c1 - c0) throw new InvalidArgumentError(`invalid ranges specified for container and host Ports: ${spec}`);
    for (let p = c0; p <= c1; p++) {
      const key = `${p}/${proto}`;
      exposed.push(key);
      (bindings[key] ??= []).push({ HostIp: ip, HostPort: hostPort ? String(h0 + (p - c0)) : "" });
    }
  }
  return { exposed, bindings };
}

/** A mount destination as Go's filepath.Clean leaves it ("/a/b/" → "/a/b"); "/" itself is refused, as by Docker. */
function mountPath(p: string): string {
  const clean = posix.normalize(p).replace(/(.)\/+$/, "$1");
  if (clean === "/") throw new InvalidArgumentError("invalid specification: destination can't be '/'");
  return clean;
}

/** -v SRC:DST[:OPTS] and -v DST (anonymous). Named volumes are resolved later by the volume service. */
export function parseVolumeFlag(spec: string): MountSpec {
  const parts = spec.split(":");
  const notAbsolute = (type: string, dst: string) =>
    new InvalidArgumentError(`invalid volume specification: '${spec}': invalid mount config for type "${type}": invalid mount path: '${dst}' mount path must be absolute`);
  if (parts.length === 1) {
    if (!isAbsolute(spec)) throw notAbsolute("volume", spec);
    return { Type: "volume", Source: "", Destination: mountPath(spec), Name: "", ReadOnly: false, Options: [], Anonymous: true };
  }
  if (parts.length > 3 || !parts[0] || !parts[1]) throw new InvalidArgumentError(`invalid volume specification: '${spec}'`);
  const [src, dst, opts = ""] = parts as [string, string, string?];
  if (!isAbsolute(dst)) throw notAbsolute(src.startsWith("/") || src.startsWith(".") ? "bind" : "volume", dst);
  const options = opts ? opts.split(",") : [];
  for (const o of options)
    if (!["ro", "rw", "z", "Z", "U", "nocopy", "private", "rprivate", "shared", "rshared", "slave", "rslave", "consistent", "cached", "delegated"].includes(o))
      throw new InvalidArgumentError(`invalid mode: ${o}`);
  const readOnly = options.includes("ro");
  const isBind = src.startsWith("/") || src.startsWith(".");
  return isBind
    ? // Docker's CLI makes a relative host path absolute, so `start` from elsewhere mounts the same directory.
      { Type: "bind", Source: resolve(src), Destination: mountPath(dst), ReadOnly: readOnly, Options: options }
    : { Type: "volume", Source: "", Name: src, Destination: mountPath(dst), ReadOnly: readOnly, Options: options };
}

const MOUNT_KEYS = [
  "type", "source", "src", "target", "destination", "dst", "readonly", "ro", "consistency", "bind-propagation", "bind-nonrecursive",
  "bind-recursive", "bind-create-host-path", "volume-nocopy", "volume-driver", "volume-label", "volume-opt", "volume-subpath", "tmpfs-size", "tmpfs-mode",
];

/** --mount type=bind|volume|tmpfs,source=…,target=…,readonly */
export function parseMountFlag(spec: string): MountSpec {
  // Docker's CLI (opts/mount.go) rejects unknown keys; pflag wraps its message.
  const flagError = (msg: string) => new InvalidArgumentError(`invalid argument "${spec}" for "--mount" flag: ${msg}`);
  const kv = new Map<string, string>();
  // A new volume's labels, driver options and driver ride in Options until the volume is made (VolumeService.prepare).
  const volumeSettings: string[] = [];
  for (const part of spec.split(",")) {
    const eq = part.indexOf("=");
    const key = (eq < 0 ? part : part.slice(0, eq)).toLowerCase();
    if (eq < 0 && !["readonly", "ro", "volume-nocopy", "bind-nonrecursive"].includes(key)) throw flagError(`invalid field '${part}' must be a key=value pair`);
    if (!MOUNT_KEYS.includes(key)) throw flagError(`unexpected key '${key}' in '${part}'`);
    if (key === "volume-opt" || key === "volume-label" || key === "volume-driver") volumeSettings.push(`${key}=${part.slice(eq + 1)}`);
    kv.set(key, eq < 0 ? "true" : part.slice(eq + 1));
  }
  const type = kv.get("type") ?? "volume";
  if (type !== "volume" && [...kv.keys()].some((k) => k.startsWith("volume-"))) throw flagError(`cannot mix 'volume-*' options with mount type '${type}'`);
  const target = kv.get("target") ?? kv.get("destination") ?? kv.get("dst");
  if (!target) throw flagError("target is required");
  const invalid = (msg: string) => new InvalidArgumentError(`invalid mount config for type "${type}": ${msg}`);
  if (type !== "bind" && type !== "volume" && type !== "tmpfs") throw invalid("mount type unknown");
  const source = kv.get("source") ?? kv.get("src") ?? "";
  const readOnly = ["true", "1"].includes(kv.get("readonly") ?? kv.get("ro") ?? "false");
  if (type === "bind" && !source) throw invalid("field Source must not be empty");
  // Unlike -v, --mount never creates a missing host directory.
  if (type === "bind" && !existsSync(source)) throw invalid(`bind source path does not exist: ${source}`);
  if (type === "tmpfs" && source) throw invalid("field Source must not be specified");
  if (!isAbsolute(target)) throw invalid(`invalid mount path: '${target}' mount path must be absolute`);
  const options: string[] = [];
  if (type === "volume" && ["true", "1"].includes(kv.get("volume-nocopy") ?? "false")) options.push("nocopy");
  options.push(...volumeSettings);
  if (type === "tmpfs") {
    if (kv.has("tmpfs-size")) options.push(`size=${kv.get("tmpfs-size")}`);
    if (kv.has("tmpfs-mode")) options.push(`mode=${kv.get("tmpfs-mode")}`);
  }
  return {
    Type: type,
    Source: type === "bind" ? source : "",
    Name: type === "volume" ? source : undefined,
    Destination: mountPath(target),
    ReadOnly: readOnly,
    Options: options,
    Anonymous: type === "volume" && !source,
  };
}

function parseLabels(items: string[], files: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (l: string) => {
    if (!l.trim() || l.startsWith("#")) return;
    const eq = l.indexOf("=");
    out[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? "" : l.slice(eq + 1);
  };
  for (const f of files) readFileSync(f, "utf8").split("\n").forEach(add);
  items.forEach(add);
  return out;
}

/** Docker's memory strings: 512m, 1g, 1024 (bytes). */
export function parseBytes(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([bkmg]?)b?$/i.exec(s.trim());
  if (!m) throw new InvalidArgumentError(`invalid size: '${s}'`);
  const mult = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase()]!;
  return Math.round(Number(m[1]) * mult);
}

export function buildRecord(req: CreateRequest, image: LocalImage, id: string, name: string, driver: "overlay" | "vfs"): ContainerRecord {
  if (req.rm && req.restart && req.restart !== "no") throw new InvalidArgumentError("Conflicting options: --restart and --rm");
  const ic = image.config.config ?? {};
  const entrypoint = req.entrypoint !== undefined ? (req.entrypoint === "" ? null : [req.entrypoint]) : (ic.Entrypoint ?? null);
  // A new entrypoint drops the image's CMD, as in Docker.
  const cmd = req.command.length ? req.command : req.entrypoint !== undefined ? null : (ic.Cmd ?? null);
  const publish = parsePublish(req.publish);
  const exposed: Record<string, object> = { ...(ic.ExposedPorts ?? {}) };
  for (const p of [...publish.exposed, ...req.expose.map((e) => (e.includes("/") ? e : `${e}/tcp`))]) exposed[p] = {};
  const tmpfs: Record<string, string> = {};
  for (const t of req.tmpfs) {
    const [dest, opts = ""] = t.split(/:(.*)/s) as [string, string?];
    if (!isAbsolute(dest)) throw new InvalidArgumentError(`invalid mount path: '${dest}' mount path must be absolute`);
    tmpfs[dest] = opts;
  }
  const mounts = [...req.volume.map(parseVolumeFlag), ...req.mount.map(parseMountFlag)];
  for (const v of Object.keys(ic.Volumes ?? {}))
    if (!mounts.some((m) => m.Destination === mountPath(v)))
      mounts.push({ Type: "volume", Source: "", Name: "", Destination: mountPath(v), ReadOnly: false, Options: [], Anonymous: true });
  const destinations = new Set<string>();
  for (const m of mounts) {
    if (destinations.has(m.Destination)) throw new InvalidArgumentError(`Duplicate mount point: ${m.Destination}`);
    destinations.add(m.Destination);
    // An anonymous volume is named now (64 hex digits, as Docker's), so every start finds the same one.
    if (m.Type === "volume" && !m.Name) m.Name = randomBytes(32).toString("hex");
  }
  validateHealthcheck(req.healthcheck);
  const healthcheck = mergeHealthcheck(req.healthcheck, ic.Healthcheck);
  const endpoints = endpointRequests(req);
  const network = endpoints.mode;
  const hostname = req.hostname ?? (network === "host" ? "" : id.slice(0, 12));
  return {
    Id: id,
    Name: name,
    Created: new Date().toISOString(),
    Image: image.record.id,
    ImageName: req.image,
    Layers: image.record.layers,
    Driver: driver,
    Path: [...(entrypoint ?? []), ...(cmd ?? [])][0] ?? "",
    Args: [...(entrypoint ?? []), ...(cmd ?? [])].slice(1),
    Config: {
      Hostname: hostname,
      Domainname: req.domainname ?? "",
      User: req.user ?? ic.User ?? "",
      Env: mergeEnv(ic.Env ?? [], parseEnvList(req.env, req.envFile)),
      Cmd: cmd,
      Entrypoint: entrypoint,
      WorkingDir: req.workdir ?? ic.WorkingDir ?? "",
      Labels: { ...(ic.Labels ?? {}), ...parseLabels(req.label, req.labelFile) },
      Tty: Boolean(req.tty),
      OpenStdin: Boolean(req.interactive),
      StdinOnce: Boolean(req.interactive),
      AttachStdin: Boolean(req.interactive),
      AttachStdout: true,
      AttachStderr: true,
      StopSignal: req.stopSignal ?? ic.StopSignal ?? "SIGTERM",
      StopTimeout: req.stopTimeout,
      ExposedPorts: exposed,
      Volumes: ic.Volumes ?? null,
      Image: req.image,
      ...(healthcheck ? { Healthcheck: healthcheck } : {}),
      ...(ic.Shell?.length ? { Shell: ic.Shell } : {}),
    },
    HostConfig: {
      AutoRemove: Boolean(req.rm),
      ReadonlyRootfs: Boolean(req.readOnly),
      RestartPolicy: parseRestart(req.restart),
      Init: Boolean(req.init),
      Tmpfs: tmpfs,
      Ulimits: req.ulimit.map(parseUlimit),
      NetworkMode: network || "default",
      PortBindings: publish.bindings,
      PublishAllPorts: Boolean(req.publishAll),
      Dns: req.dns,
      DnsSearch: req.dnsSearch ?? [],
      DnsOptions: req.dnsOption ?? [],
      ExtraHosts: req.addHost,
      Memory: req.memory ? parseBytes(req.memory) : 0,
      NanoCpus: req.cpus ? Math.round(Number(req.cpus) * 1e9) : 0,
      PidsLimit: req.pidsLimit ? Number(req.pidsLimit) : 0,
      CapAdd: req.capAdd,
      CapDrop: req.capDrop,
      Privileged: Boolean(req.privileged),
      VolumesFrom: req.volumesFrom,
    },
    Mounts: mounts,
    NetworkSettings: { ...(req.macAddress ? { MacAddress: req.macAddress } : {}), ...(Object.keys(endpoints.networks).length ? { Networks: endpoints.networks } : {}) },
  };
}
