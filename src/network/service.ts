import { accessSync, constants, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ContainerRecord } from "../container/record.js";
import { ConflictError, HostSetupError, InvalidArgumentError } from "../errors.js";
import { which } from "../userns/namespace.js";
import { writeEtcFiles, type EtcFiles } from "./etc-files.js";
import { conflictingOptions, parseNetworkMode, type NetworkMode } from "./mode.js";
import { claimPorts, portMap, type PublishedPort } from "./ports.js";
import { checkMac, randomMac, SLIRP, slirpHook } from "./slirp.js";

// Container networking, rootless: a new network namespace served by
// slirp4netns (the default), the host's (--network host), one with only lo
// (--network none), or another container's (--network container:NAME).
// What one start set up is kept in userdata/network.json, so that ps, port
// and inspect show the ports and addresses actually in use.

export interface NetworkSetup {
  etc: EtcFiles;
  mode: "host" | "new" | { join: string };
  /** argv the monitor runs once the container's namespaces exist (SKIFF_CONTAINER_PID set). */
  prestart?: string[];
  /** The host name to use instead of the record's (that of the container whose network is joined). */
  hostname?: string;
}

/** What the network room needs to know of containers and the host (the engine fills it in). */
export interface NetworkContext {
  /** skiff.conf [network] default. */
  defaultNetwork: string;
  /** A short directory for slirp4netns's API sockets (a socket path holds 107 bytes). */
  runDir: string;
  /** A container by name or id. */
  container(ref: string): { id: string; running: boolean; pid: number; userdata: string };
}

/** userdata/network.json: one start's network. */
interface NetworkState {
  kind: NetworkMode["kind"];
  ports: PublishedPort[];
  address: string;
  gateway: string;
  prefixLen: number;
  mac: string;
  /** --network container:X: the container whose namespace was joined. */
  joined?: string;
}

const STATE = "network.json";

export class NetworkService {
  constructor(private readonly ctx: NetworkContext) {}

  /** Refuse, at create as Docker does, what no start could set up (unknown network, conflicting options). */
  check(record: ContainerRecord): NetworkMode {
    const r = record;
    const mode = parseNetworkMode(r.HostConfig.NetworkMode, this.ctx.defaultNetwork);
    const conflict = conflictingOptions(mode, {
      publish: Object.keys(r.HostConfig.PortBindings).length > 0 || r.HostConfig.PublishAllPorts,
      dns: r.HostConfig.Dns.length > 0 || (r.HostConfig.DnsSearch?.length ?? 0) > 0 || (r.HostConfig.DnsOptions?.length ?? 0) > 0,
      extraHosts: r.HostConfig.ExtraHosts.length > 0,
      mac: Boolean(r.NetworkSettings?.MacAddress),
    });
    if (conflict) throw new InvalidArgumentError(conflict);
    if (r.NetworkSettings?.MacAddress) checkMac(r.NetworkSettings.MacAddress);
    if (mode.kind === "container") this.ctx.container(mode.ref); // No such container
    return mode;
  }

  async prepare(record: ContainerRecord, userdata: string): Promise<NetworkSetup> {
    const r = record;
    const mode = this.check(r);
    const etcFor = (o: { hostNetwork: boolean; ownAddress?: string; nameservers?: string[]; gateway?: string }) =>
      writeEtcFiles(userdata, { hostname: r.Config.Hostname, domainname: r.Config.Domainname, extraHosts: r.HostConfig.ExtraHosts, dns: r.HostConfig.Dns, dnsSearch: r.HostConfig.DnsSearch ?? [], dnsOptions: r.HostConfig.DnsOptions ?? [], ...o });
    const state: NetworkState = { kind: mode.kind, ports: [], address: "", gateway: "", prefixLen: 0, mac: "" };
    const save = () => writeFileSync(join(userdata, STATE), JSON.stringify(state));

    if (mode.kind === "host") {
      save();
      return { etc: etcFor({ hostNetwork: true, gateway: "127.0.0.1" }), mode: "host" };
    }
    if (mode.kind === "none") {
      save();
      return { etc: etcFor({ hostNetwork: false }), mode: "new" };
    }
    if (mode.kind === "container") {
      const other = this.ctx.container(mode.ref);
      if (other.id === r.Id) throw new InvalidArgumentError("cannot join own network namespace");
      if (!other.running || !other.pid)
        throw new ConflictError(`cannot join network namespace of a non running container: container ${other.id} is not running`, `start it first: skiff start ${mode.ref}`);
      state.joined = other.id;
      save();
      // Docker shares the other container's hosts, hostname and resolv.conf files.
      const etc = { hosts: join(other.userdata, "hosts"), hostname: join(other.userdata, "hostname"), resolvConf: join(other.userdata, "resolv.conf") };
      let hostname: string | undefined;
      try {
        hostname = readFileSync(etc.hostname, "utf8").trim() || undefined;
      } catch {
        /* its files are gone with it: keep our own name */
      }
      return { etc, mode: { join: `/proc/${other.pid}/ns/net` }, hostname };
    }

    const slirp4netns = which("slirp4netns");
    if (!slirp4netns)
      throw new HostSetupError("slirp4netns not found: it gives rootless containers their network", "sudo apt-get install slirp4netns, or run with --network host");
    try {
      accessSync("/dev/net/tun", constants.R_OK | constants.W_OK);
    } catch {
      throw new HostSetupError("/dev/net/tun is not accessible to you: slirp4netns cannot create the container's network", "sudo chmod 0666 /dev/net/tun (udev normally does this), or run with --network host");
    }
    const ports = await claimPorts(r);
    Object.assign(state, { ports, address: SLIRP.address, gateway: SLIRP.gateway, prefixLen: SLIRP.prefixLen, mac: r.NetworkSettings?.MacAddress ? checkMac(r.NetworkSettings.MacAddress) : randomMac() });
    save();
    const etc = etcFor({ hostNetwork: false, ownAddress: SLIRP.address, nameservers: [SLIRP.dns], gateway: SLIRP.gateway });
    const prestart = slirpHook({
      slirp4netns,
      apiSocket: this.apiSocket(r.Id),
      log: join(userdata, "slirp4netns.log"),
      mtu: mode.mtu,
      mac: state.mac,
      allowHostLoopback: mode.allowHostLoopback,
      ports,
    });
    return { etc, mode: "new", prestart };
  }

  private apiSocket(id: string): string {
    const dir = join(this.ctx.runDir, "net");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return join(dir, `${id.slice(0, 16)}.sock`);
  }

  /** This start's network, when the container runs (Docker shows nothing for a stopped one). */
  private current(record: ContainerRecord): NetworkState | undefined {
    try {
      const c = this.ctx.container(record.Id);
      if (!c.running) return undefined;
      return JSON.parse(readFileSync(join(c.userdata, STATE), "utf8")) as NetworkState;
    } catch {
      return undefined;
    }
  }

  publishedPorts(record: ContainerRecord): Record<string, { HostIp: string; HostPort: string }[] | null> {
    const s = this.current(record);
    return s?.kind === "slirp4netns" ? portMap(record, s.ports) : {};
  }

  address(record: ContainerRecord): string {
    return this.current(record)?.address ?? "";
  }

  /** Docker's NetworkSettings for inspect. */
  settings(record: ContainerRecord): Record<string, unknown> {
    const s = this.current(record);
    const pid = s ? this.ctx.container(record.Id).pid : 0;
    const name = s?.kind === "container" ? `container:${s.joined}` : (s?.kind ?? this.modeName(record));
    const endpoint = { IPAMConfig: null, Links: null, Aliases: null, MacAddress: s?.mac ?? "", NetworkID: name, EndpointID: "", Gateway: s?.gateway ?? "", IPAddress: s?.address ?? "", IPPrefixLen: s?.prefixLen ?? 0, IPv6Gateway: "", GlobalIPv6Address: "", GlobalIPv6PrefixLen: 0, DriverOpts: null };
    return {
      Bridge: "",
      SandboxID: "",
      SandboxKey: pid && s?.kind !== "host" ? `/proc/${pid}/ns/net` : "",
      Ports: s?.kind === "slirp4netns" ? portMap(record, s.ports) : {},
      Gateway: s?.gateway ?? "",
      IPAddress: s?.address ?? "",
      IPPrefixLen: s?.prefixLen ?? 0,
      MacAddress: s?.mac || record.NetworkSettings?.MacAddress || "",
      Networks: { [name]: endpoint },
    };
  }

  /** The network a record asks for, by name ("default" resolved), for inspect. */
  private modeName(record: ContainerRecord): string {
    try {
      const m = parseNetworkMode(record.HostConfig.NetworkMode, this.ctx.defaultNetwork);
      return m.kind === "container" ? `container:${m.ref}` : m.kind;
    } catch {
      return record.HostConfig.NetworkMode;
    }
  }

  /** The container is gone: release what was set up for it (its slirp4netns ended with it). */
  async release(record: ContainerRecord): Promise<void> {
    rmSync(join(this.ctx.runDir, "net", `${record.Id.slice(0, 16)}.sock`), { force: true });
  }
}
