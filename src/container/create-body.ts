import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { isAbsolute, posix } from "node:path";
import { InvalidArgumentError } from "../errors.js";
import type { LocalImage } from "../image/service.js";
import type { ContainerRecord, EndpointRequest, HealthConfig, MountSpec, PortBinding, Ulimit } from "./record.js";
import { mergeHealthcheck, validateHealthcheck } from "./health.js";

// What a container is created from: Docker's create body (the Engine API's
// ContainerCreate — container.Config, HostConfig and NetworkingConfig), the
// one input of `create` whichever face it came through. The docker CLI turns
// its flags into this body (./create-flags.ts does the same for skiff's
// CLI); the daemon merges it with the image's config and checks it. That
// second half is here, with the daemon's words.
// https://docs.docker.com/reference/api/engine/version/v1.44/#tag/Container/operation/ContainerCreate

/** A --mount as the API carries it (mount.Mount). */
export interface ApiMount {
  Type?: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean; CreateMountpoint?: boolean } | null;
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string> | null; DriverConfig?: { Name?: string; Options?: Record<string, string> | null } | null; Subpath?: string } | null;
  TmpfsOptions?: { SizeBytes?: number; Mode?: number } | null;
}

export interface EndpointSettingsBody {
  Aliases?: string[] | null;
  IPAMConfig?: { IPv4Address?: string } | null;
  Links?: string[] | null;
  MacAddress?: string;
  NetworkID?: string;
}

export interface HostConfigBody {
  Binds?: string[] | null;
  NetworkMode?: string;
  PortBindings?: Record<string, PortBinding[] | null> | null;
  RestartPolicy?: { Name?: string; MaximumRetryCount?: number } | null;
  AutoRemove?: boolean;
  VolumesFrom?: string[] | null;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  Dns?: string[] | null;
  DnsOptions?: string[] | null;
  DnsSearch?: string[] | null;
  ExtraHosts?: string[] | null;
  GroupAdd?: string[] | null;
  Links?: string[] | null;
  Privileged?: boolean;
  PublishAllPorts?: boolean;
  ReadonlyRootfs?: boolean;
  Tmpfs?: Record<string, string> | null;
  Init?: boolean | null;
  Memory?: number;
  NanoCpus?: number;
  PidsLimit?: number | null;
  Ulimits?: Ulimit[] | null;
  Mounts?: ApiMount[] | null;
  /** Only json-file is kept (engine/create.ts warns about the others). */
  LogConfig?: { Type?: string; Config?: Record<string, string> | null } | null;
}

export interface ContainerCreateBody {
  Image: string;
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, object> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Healthcheck?: HealthConfig | null;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Entrypoint?: string[] | null;
  MacAddress?: string;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  StopTimeout?: number | null;
  HostConfig?: HostConfigBody | null;
  NetworkingConfig?: { EndpointsConfig?: Record<string, EndpointSettingsBody | null> | null } | null;
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

/** A mount destination as Go's filepath.Clean leaves it ("/a/b/" → "/a/b"); "/" itself is refused, as by Docker. */
export function mountPath(p: string): string {
  const clean = posix.normalize(p).replace(/(.)\/+$/, "$1");
  if (clean === "/") throw new InvalidArgumentError("invalid specification: destination can't be '/'");
  return clean;
}

const BIND_MODES = ["ro", "rw", "z", "Z", "U", "nocopy", "private", "rprivate", "shared", "rshared", "slave", "rslave", "consistent", "cached", "delegated"];

/** A bind or volume as -v and HostConfig.Binds write it: SRC:DST[:OPTS], or DST alone (anonymous). */
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
  for (const o of options) if (!BIND_MODES.includes(o)) throw new InvalidArgumentError(`invalid mode: ${o}`);
  const readOnly = options.includes("ro");
  if (src.startsWith(".")) throw new InvalidArgumentError(`invalid volume specification: '${spec}': the host path must be absolute`, "give an absolute host path, or a volume name");
  return src.startsWith("/")
    ? { Type: "bind", Source: src, Destination: mountPath(dst), ReadOnly: readOnly, Options: options }
    : { Type: "volume", Source: "", Name: src, Destination: mountPath(dst), ReadOnly: readOnly, Options: options };
}

/**
 * A --mount as the record keeps it. A new volume's labels, driver options
 * and driver ride in Options until the volume is made (VolumeService.prepare).
 */
export function mountFromApi(m: ApiMount): MountSpec {
  const type = m.Type || "volume";
  const invalid = (msg: string) => new InvalidArgumentError(`invalid mount config for type "${type}": ${msg}`);
  if (type !== "bind" && type !== "volume" && type !== "tmpfs") throw invalid("mount type unknown");
  const target = m.Target ?? "";
  if (!target) throw invalid("field Target must not be empty");
  const source = m.Source ?? "";
  if (type === "bind" && !source) throw invalid("field Source must not be empty");
  // Unlike -v, --mount never creates a missing host directory.
  if (type === "bind" && !existsSync(source)) throw invalid(`bind source path does not exist: ${source}`);
  if (type === "tmpfs" && source) throw invalid("field Source must not be specified");
  if (!isAbsolute(target)) throw invalid(`invalid mount path: '${target}' mount path must be absolute`);
  if (type !== "volume" && m.VolumeOptions) throw invalid("VolumeOptions must not be specified");
  const options: string[] = [];
  const v = m.VolumeOptions;
  if (v?.NoCopy) options.push("nocopy");
  if (v?.DriverConfig?.Name) options.push(`volume-driver=${v.DriverConfig.Name}`);
  for (const [k, val] of Object.entries(v?.DriverConfig?.Options ?? {})) options.push(`volume-opt=${k}=${val}`);
  for (const [k, val] of Object.entries(v?.Labels ?? {})) options.push(`volume-label=${k}=${val}`);
  if (type === "tmpfs") {
    if (m.TmpfsOptions?.SizeBytes) options.push(`size=${m.TmpfsOptions.SizeBytes}`);
    if (m.TmpfsOptions?.Mode) options.push(`mode=${m.TmpfsOptions.Mode.toString(8)}`);
  }
  return {
    Type: type,
    Source: type === "bind" ? source : "",
    Name: type === "volume" ? source : undefined,
    Destination: mountPath(target),
    ReadOnly: Boolean(m.ReadOnly),
    Options: options,
    Anonymous: type === "volume" && !source,
  };
}

const POLICIES = ["no", "always", "unless-stopped", "on-failure"] as const;

/** A restart policy as the API carries it, checked with the daemon's words. */
export function restartPolicy(p: HostConfigBody["RestartPolicy"]): ContainerRecord["HostConfig"]["RestartPolicy"] {
  const name = p?.Name || "no";
  if (!(POLICIES as readonly string[]).includes(name)) throw new InvalidArgumentError(`invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  const count = p?.MaximumRetryCount ?? 0;
  if (count < 0) throw new InvalidArgumentError("invalid restart policy: maximum retry count can't be negative");
  if (count && name !== "on-failure") throw new InvalidArgumentError(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  return { Name: name as (typeof POLICIES)[number], MaximumRetryCount: count };
}

/** The networks asked for: NetworkMode names the first; legacy links belong to it. */
function endpoints(body: ContainerCreateBody, mode: string): Record<string, EndpointRequest> {
  const out: Record<string, EndpointRequest> = {};
  for (const [name, e] of Object.entries(body.NetworkingConfig?.EndpointsConfig ?? {}))
    out[name] = {
      ...(e?.NetworkID ? { NetworkID: e.NetworkID } : {}),
      Aliases: e?.Aliases?.length ? e.Aliases : null,
      IPAMConfig: e?.IPAMConfig?.IPv4Address ? { IPv4Address: e.IPAMConfig.IPv4Address } : null,
      Links: e?.Links?.length ? e.Links : null,
    };
  const links = body.HostConfig?.Links ?? [];
  if (links.length) {
    const first = mode || "default";
    const e = (out[first] ??= { Aliases: null, IPAMConfig: null, Links: null });
    e.Links = [...new Set([...(e.Links ?? []), ...links.map((l) => (l.includes(":") ? l : `${l}:${l}`))])];
  }
  return out;
}

/** The daemon's half of create: the body merged with the image's config and checked. */
export function recordFromBody(body: ContainerCreateBody, image: LocalImage, id: string, name: string, driver: "overlay" | "vfs"): ContainerRecord {
  const hc = body.HostConfig ?? {};
  const ic = image.config.config ?? {};
  const policy = restartPolicy(hc.RestartPolicy);
  if (hc.AutoRemove && policy.Name !== "no") throw new InvalidArgumentError("can't create 'AutoRemove' container with restart policy");
  // Docker's merge: an entrypoint given drops the image's CMD; [""] resets the entrypoint.
  const ownEntrypoint = body.Entrypoint != null && body.Entrypoint.length > 0;
  const entrypoint = ownEntrypoint ? (body.Entrypoint!.length === 1 && body.Entrypoint![0] === "" ? null : body.Entrypoint!) : (ic.Entrypoint ?? null);
  const cmd = body.Cmd?.length ? body.Cmd : ownEntrypoint ? null : (ic.Cmd ?? null);
  const exposed: Record<string, object> = { ...(ic.ExposedPorts ?? {}), ...(body.ExposedPorts ?? {}) };
  const bindings: Record<string, PortBinding[]> = {};
  for (const [key, list] of Object.entries(hc.PortBindings ?? {})) {
    const k = key.includes("/") ? key : `${key}/tcp`;
    if (!/^\d+\/(tcp|udp|sctp)$/.test(k)) throw new InvalidArgumentError(`invalid port specification: "${key}"`);
    exposed[k] = {};
    bindings[k] = (list ?? [{ HostIp: "", HostPort: "" }]).map((b) => ({ HostIp: b.HostIp ?? "", HostPort: b.HostPort ?? "" }));
  }
  const tmpfs: Record<string, string> = {};
  for (const [dest, opts] of Object.entries(hc.Tmpfs ?? {})) {
    if (!isAbsolute(dest)) throw new InvalidArgumentError(`invalid mount path: '${dest}' mount path must be absolute`);
    tmpfs[dest] = opts ?? "";
  }
  const mounts = [...(hc.Binds ?? []).map(parseVolumeFlag), ...(hc.Mounts ?? []).map(mountFromApi)];
  for (const v of Object.keys({ ...(ic.Volumes ?? {}), ...(body.Volumes ?? {}) }))
    if (!mounts.some((m) => m.Destination === mountPath(v)))
      mounts.push({ Type: "volume", Source: "", Name: "", Destination: mountPath(v), ReadOnly: false, Options: [], Anonymous: true });
  const destinations = new Set<string>();
  for (const m of mounts) {
    if (destinations.has(m.Destination)) throw new InvalidArgumentError(`Duplicate mount point: ${m.Destination}`);
    destinations.add(m.Destination);
    // An anonymous volume is named now (64 hex digits, as Docker's), so every start finds the same one.
    if (m.Type === "volume" && !m.Name) m.Name = randomBytes(32).toString("hex");
  }
  const requested = body.Healthcheck ?? undefined;
  validateHealthcheck(requested);
  const healthcheck = mergeHealthcheck(requested, ic.Healthcheck);
  const network = hc.NetworkMode && hc.NetworkMode !== "default" ? hc.NetworkMode : "";
  const networks = endpoints(body, network);
  const openStdin = Boolean(body.OpenStdin);
  return {
    Id: id,
    Name: name,
    Created: new Date().toISOString(),
    Image: image.record.id,
    ImageName: body.Image,
    Layers: image.record.layers,
    Driver: driver,
    Path: [...(entrypoint ?? []), ...(cmd ?? [])][0] ?? "",
    Args: [...(entrypoint ?? []), ...(cmd ?? [])].slice(1),
    Config: {
      Hostname: body.Hostname || (network === "host" ? "" : id.slice(0, 12)),
      Domainname: body.Domainname ?? "",
      User: body.User || ic.User || "",
      Env: mergeEnv(ic.Env ?? [], body.Env ?? []),
      Cmd: cmd,
      Entrypoint: entrypoint,
      WorkingDir: body.WorkingDir || ic.WorkingDir || "",
      Labels: { ...(ic.Labels ?? {}), ...(body.Labels ?? {}) },
      Tty: Boolean(body.Tty),
      OpenStdin: openStdin,
      StdinOnce: body.StdinOnce ?? openStdin,
      AttachStdin: body.AttachStdin ?? openStdin,
      AttachStdout: body.AttachStdout ?? true,
      AttachStderr: body.AttachStderr ?? true,
      StopSignal: body.StopSignal || ic.StopSignal || "SIGTERM",
      StopTimeout: body.StopTimeout ?? undefined,
      ExposedPorts: exposed,
      Volumes: ic.Volumes ?? null,
      Image: body.Image,
      ...(healthcheck ? { Healthcheck: healthcheck } : {}),
      ...(ic.Shell?.length ? { Shell: ic.Shell } : {}),
    },
    HostConfig: {
      AutoRemove: Boolean(hc.AutoRemove),
      ReadonlyRootfs: Boolean(hc.ReadonlyRootfs),
      RestartPolicy: policy,
      Init: Boolean(hc.Init),
      Tmpfs: tmpfs,
      Ulimits: hc.Ulimits ?? [],
      NetworkMode: network || "default",
      PortBindings: bindings,
      PublishAllPorts: Boolean(hc.PublishAllPorts),
      Dns: hc.Dns ?? [],
      DnsSearch: hc.DnsSearch ?? [],
      DnsOptions: hc.DnsOptions ?? [],
      ExtraHosts: hc.ExtraHosts ?? [],
      Memory: hc.Memory ?? 0,
      NanoCpus: hc.NanoCpus ?? 0,
      PidsLimit: hc.PidsLimit ?? 0,
      CapAdd: hc.CapAdd ?? [],
      CapDrop: hc.CapDrop ?? [],
      Privileged: Boolean(hc.Privileged),
      VolumesFrom: hc.VolumesFrom ?? [],
    },
    Mounts: mounts,
    NetworkSettings: {
      ...(body.MacAddress ? { MacAddress: body.MacAddress } : {}),
      ...(Object.keys(networks).length ? { Networks: networks } : {}),
    },
  };
}
