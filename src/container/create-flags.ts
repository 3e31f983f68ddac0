import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { InvalidArgumentError } from "../errors.js";
import { parseUlimit } from "../runtime/spec.js";
import type { ApiMount, ContainerCreateBody, EndpointSettingsBody } from "./create-body.js";
import type { ContainerRecord, EndpointRequest, HealthConfig, PortBinding } from "./record.js";

// `create`/`run` flags → Docker's create body, as the docker CLI turns them
// into one (cli/command/container/opts.go), with its parsing rules and error
// messages. The CLI and the builder's step containers use it; an API client
// sends the body itself. Pure: no I/O but reading --env-file/--label-file
// and making -v's relative host paths absolute.

export interface CreateFlags {
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
export function endpointRequests(req: CreateFlags): { mode: string; networks: Record<string, EndpointRequest> } {
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

const MOUNT_KEYS = [
  "type", "source", "src", "target", "destination", "dst", "readonly", "ro", "consistency", "bind-propagation", "bind-nonrecursive",
  "bind-recursive", "bind-create-host-path", "volume-nocopy", "volume-driver", "volume-label", "volume-opt", "volume-subpath", "tmpfs-size", "tmpfs-mode",
];

/** --mount type=bind|volume|tmpfs,source=…,target=…,readonly → the API's mount (checked further at create). */
export function parseMountFlag(spec: string): ApiMount {
  // Docker's CLI (opts/mount.go) rejects unknown keys; pflag wraps its message.
  const flagError = (msg: string) => new InvalidArgumentError(`invalid argument "${spec}" for "--mount" flag: ${msg}`);
  const kv = new Map<string, string>();
  const labels: Record<string, string> = {};
  const driverOptions: Record<string, string> = {};
  for (const part of spec.split(",")) {
    const eq = part.indexOf("=");
    const key = (eq < 0 ? part : part.slice(0, eq)).toLowerCase();
    if (eq < 0 && !["readonly", "ro", "volume-nocopy", "bind-nonrecursive"].includes(key)) throw flagError(`invalid field '${part}' must be a key=value pair`);
    if (!MOUNT_KEYS.includes(key)) throw flagError(`unexpected key '${key}' in '${part}'`);
    const value = eq < 0 ? "true" : part.slice(eq + 1);
    if (key === "volume-label" || key === "volume-opt") {
      const e = value.indexOf("=");
      (key === "volume-label" ? labels : driverOptions)[e < 0 ? value : value.slice(0, e)] = e < 0 ? "" : value.slice(e + 1);
    }
    kv.set(key, value);
  }
  const type = kv.get("type") ?? "volume";
  if (type !== "volume" && [...kv.keys()].some((k) => k.startsWith("volume-"))) throw flagError(`cannot mix 'volume-*' options with mount type '${type}'`);
  const target = kv.get("target") ?? kv.get("destination") ?? kv.get("dst");
  if (!target) throw flagError("target is required");
  const truthy = (k: string) => ["true", "1"].includes(kv.get(k) ?? "false");
  const m: ApiMount = { Type: type, Source: kv.get("source") ?? kv.get("src") ?? "", Target: target, ReadOnly: truthy("readonly") || truthy("ro") };
  if (type === "volume") {
    const driver = kv.get("volume-driver");
    m.VolumeOptions = {
      NoCopy: truthy("volume-nocopy"),
      Labels: Object.keys(labels).length ? labels : null,
      DriverConfig: driver || Object.keys(driverOptions).length ? { Name: driver ?? "", Options: Object.keys(driverOptions).length ? driverOptions : null } : null,
    };
  }
  if (type === "tmpfs" && (kv.has("tmpfs-size") || kv.has("tmpfs-mode")))
    m.TmpfsOptions = {
      ...(kv.has("tmpfs-size") ? { SizeBytes: parseBytes(kv.get("tmpfs-size")!) } : {}),
      ...(kv.has("tmpfs-mode") ? { Mode: parseInt(kv.get("tmpfs-mode")!, 8) } : {}),
    };
  return m;
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


/** -v with a relative host path ("./data:/d") made absolute, as the docker CLI sends it. */
function absoluteBind(spec: string): string {
  const [src = "", ...rest] = spec.split(":");
  return rest.length && src.startsWith(".") ? [resolve(src), ...rest].join(":") : spec;
}

/** The flags of `create`/`run` as Docker's create body (what the docker CLI sends its daemon). */
export function bodyFromFlags(f: CreateFlags): ContainerCreateBody {
  if (f.rm && f.restart && f.restart !== "no") throw new InvalidArgumentError("Conflicting options: --restart and --rm");
  const publish = parsePublish(f.publish);
  const exposed: Record<string, object> = {};
  for (const p of [...publish.exposed, ...f.expose.map((e) => (e.includes("/") ? e : `${e}/tcp`))]) exposed[p] = {};
  const tmpfs: Record<string, string> = {};
  for (const t of f.tmpfs) {
    const [dest, opts = ""] = t.split(/:(.*)/s) as [string, string?];
    if (!isAbsolute(dest)) throw new InvalidArgumentError(`invalid mount path: '${dest}' mount path must be absolute`);
    tmpfs[dest] = opts;
  }
  const { mode, networks } = endpointRequests(f);
  const endpointsConfig: Record<string, EndpointSettingsBody> = {};
  for (const [name, e] of Object.entries(networks)) endpointsConfig[name] = { Aliases: e.Aliases, IPAMConfig: e.IPAMConfig, Links: e.Links };
  const interactive = Boolean(f.interactive);
  return {
    Image: f.image,
    Hostname: f.hostname ?? "",
    Domainname: f.domainname ?? "",
    User: f.user ?? "",
    AttachStdin: interactive,
    AttachStdout: true,
    AttachStderr: true,
    ExposedPorts: exposed,
    Tty: Boolean(f.tty),
    OpenStdin: interactive,
    StdinOnce: interactive,
    Env: parseEnvList(f.env, f.envFile),
    Cmd: f.command.length ? f.command : null,
    ...(f.healthcheck ? { Healthcheck: f.healthcheck } : {}),
    WorkingDir: f.workdir ?? "",
    // --entrypoint "" resets the image's entrypoint: Docker sends [""] for it.
    Entrypoint: f.entrypoint === undefined ? null : [f.entrypoint],
    ...(f.macAddress ? { MacAddress: f.macAddress } : {}),
    Labels: parseLabels(f.label, f.labelFile),
    ...(f.stopSignal ? { StopSignal: f.stopSignal } : {}),
    ...(f.stopTimeout !== undefined ? { StopTimeout: f.stopTimeout } : {}),
    HostConfig: {
      Binds: f.volume.map(absoluteBind),
      NetworkMode: mode || "default",
      PortBindings: publish.bindings,
      RestartPolicy: parseRestart(f.restart),
      AutoRemove: Boolean(f.rm),
      VolumesFrom: f.volumesFrom,
      CapAdd: f.capAdd,
      CapDrop: f.capDrop,
      Dns: f.dns,
      DnsOptions: f.dnsOption ?? [],
      DnsSearch: f.dnsSearch ?? [],
      ExtraHosts: f.addHost,
      GroupAdd: f.groupAdd,
      Privileged: Boolean(f.privileged),
      PublishAllPorts: Boolean(f.publishAll),
      ReadonlyRootfs: Boolean(f.readOnly),
      Tmpfs: tmpfs,
      Init: f.init ?? null,
      Memory: f.memory ? parseBytes(f.memory) : 0,
      NanoCpus: f.cpus ? Math.round(Number(f.cpus) * 1e9) : 0,
      PidsLimit: f.pidsLimit ? Number(f.pidsLimit) : 0,
      Ulimits: f.ulimit.map(parseUlimit),
      Mounts: f.mount.map(parseMountFlag),
    },
    NetworkingConfig: { EndpointsConfig: endpointsConfig },
  };
}
