import { accessSync, constants, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ContainerRecord } from "../container/record.js";
import { ConflictError, HostSetupError, InvalidArgumentError } from "../errors.js";
import { which } from "../userns/namespace.js";
import { parseCidr } from "./cidr.js";
import { writeEtcFiles, type EtcFiles } from "./etc-files.js";
import { Holder } from "./holder.js";
import { conflictingOptions, parseNetworkMode, type NetworkMode } from "./mode.js";
import { claimPorts, portMap, type PublishedPort } from "./ports.js";
import { endpointSettings } from "./settings.js";
import { checkMac, randomMac, SLIRP, slirpHook } from "./slirp.js";
import { NetworkStore } from "./store.js";
import { UserNetworks, type CreateNetworkRequest } from "./user-networks.js";
import { Catalogue, type Filters } from "./catalogue.js";
import { builtinId, endpointId, findBuiltin, type NetworkResource } from "./resources.js";
import { UserAttachments, type NetworkState } from "./user-attach.js";
import type { NetworkContext, NetworkSetup } from "./context.js";

// Container networking, rootless: a new network namespace served by
// slirp4netns (the default), the host's (--network host), one with only lo
// (--network none), another container's (--network container:NAME), or
// user-defined networks (bridges in skiff's per-user network namespace:
// user-attach.ts). What one start set up is kept in userdata/network.json,
// so that ps, port and inspect show the ports and addresses actually in use.

export type { ContainerFacts, NetworkContext, NetworkSetup } from "./context.js";

const STATE = "network.json";

export class NetworkService {
  readonly users: UserNetworks;
  readonly attachments: UserAttachments;
  private readonly catalogue: Catalogue;

  constructor(private readonly ctx: NetworkContext) {
    const store = new NetworkStore(ctx.storeDir);
    this.users = new UserNetworks({
      store,
      withLock: async (name, fn) => {
        const release = await ctx.acquire(name, "exclusive");
        try {
          return await fn();
        } finally {
          await release();
        }
      },
      known: (id) => ctx.known(id),
      pool: parseCidr(ctx.pool)!,
      poolPrefix: ctx.poolPrefix,
    });
    const holder = new Holder(join(ctx.runDir, "netns"), ctx.lockPath("netns-idle"), (cmd) => ctx.nsExec(cmd));
    this.attachments = new UserAttachments(ctx, this.users, holder);
    this.catalogue = new Catalogue(this.users, this.attachments, () => ctx.containers());
  }

  // ---- the networks themselves (`network` commands, the API's /networks) ----

  create(req: CreateNetworkRequest): Promise<{ Id: string; Warning: string }> {
    return this.users.create(req);
  }

  list(filters?: Filters): NetworkResource[] {
    return this.catalogue.list(filters);
  }

  inspect(ref: string): NetworkResource {
    return this.catalogue.inspect(ref);
  }

  remove(ref: string): Promise<string> {
    return this.catalogue.remove(ref);
  }

  prune(wanted?: (name: string) => boolean): Promise<string[]> {
    return this.catalogue.prune(wanted);
  }

  connect(network: string, container: string, o: { aliases?: string[]; ip?: string; links?: string[] } = {}): Promise<void> {
    return this.attachments.connect(network, container, o);
  }

  disconnect(network: string, container: string, force = false): Promise<void> {
    return this.attachments.disconnect(network, container, force);
  }

  /** The holder's pid while it runs (for tests and `info`). */
  holderPid(): number | undefined {
    return this.attachments.holder.pid();
  }

  /** HostConfig.NetworkMode, and the user networks asked for (none for the built-in modes). */
  private mode(record: ContainerRecord): NetworkMode | { kind: "user" } {
    const m = record.HostConfig.NetworkMode;
    const builtin = m === "default" || m === "" || m === "bridge" || m === "host" || m === "none" || m === "slirp4netns" || /^(slirp4netns|container):/.test(m);
    if (!builtin && this.users.find(m)) return { kind: "user" };
    return parseNetworkMode(m, this.ctx.defaultNetwork);
  }

  /**
   * Refuse, at create as Docker does, what no start could set up (unknown
   * network, conflicting options), and give the container its addresses on
   * user-defined networks (so a taken --ip fails here, with nothing made).
   */
  async check(record: ContainerRecord): Promise<void> {
    const r = record;
    const mode = this.mode(r);
    // The docker CLI leaves out the endpoint of a lone --network without options
    // ("the daemon will still create it"): the record gets it here, as Docker's does.
    if (mode.kind === "user" && !r.NetworkSettings?.Networks?.[r.HostConfig.NetworkMode])
      r.NetworkSettings = { ...r.NetworkSettings, Networks: { ...r.NetworkSettings?.Networks, [r.HostConfig.NetworkMode]: { Aliases: null, IPAMConfig: null, Links: null } } };
    const others = Object.keys(r.NetworkSettings?.Networks ?? {}).filter((n) => n !== r.HostConfig.NetworkMode);
    if (mode.kind === "user" || (mode.kind === "slirp4netns" && others.length)) await this.attachments.claim(r);
    if (mode.kind === "user") return;
    if (others.length && mode.kind !== "slirp4netns") throw new InvalidArgumentError(`Container cannot be connected to network endpoints: ${[r.HostConfig.NetworkMode, ...others].join(", ")}`, "a container on host, none, container:X or the default network has only that one; put it on user-defined networks instead");
    const ep = r.NetworkSettings?.Networks?.[r.HostConfig.NetworkMode];
    if (ep?.IPAMConfig?.IPv4Address) throw new InvalidArgumentError("user specified IP address is supported on user defined networks only", "create a network (skiff network create NAME) and run with --network NAME --ip ADDRESS");
    if (ep?.Aliases?.length) throw new InvalidArgumentError("network-scoped alias is supported only for containers in user defined networks", "create a network (skiff network create NAME) and run with --network NAME");
    if (ep?.Links?.length && mode.kind !== "host")
      throw new InvalidArgumentError("--link needs a user-defined network: containers on the default rootless network cannot reach each other", "create a network (skiff network create NAME) and put both containers on it");
    const conflict = conflictingOptions(mode, {
      publish: Object.keys(r.HostConfig.PortBindings).length > 0 || r.HostConfig.PublishAllPorts,
      dns: r.HostConfig.Dns.length > 0 || (r.HostConfig.DnsSearch?.length ?? 0) > 0 || (r.HostConfig.DnsOptions?.length ?? 0) > 0,
      extraHosts: r.HostConfig.ExtraHosts.length > 0,
      mac: Boolean(r.NetworkSettings?.MacAddress),
    });
    if (conflict) throw new InvalidArgumentError(conflict);
    if (r.NetworkSettings?.MacAddress) checkMac(r.NetworkSettings.MacAddress);
    if (mode.kind === "container") this.ctx.container(mode.ref); // No such container
  }

  async prepare(record: ContainerRecord, userdata: string): Promise<NetworkSetup> {
    const r = record;
    await this.check(r);
    const mode = this.mode(r);
    const etcFor = (o: { hostNetwork: boolean; ownAddress?: string; nameservers?: string[]; gateway?: string }) =>
      writeEtcFiles(userdata, { hostname: r.Config.Hostname, domainname: r.Config.Domainname, extraHosts: r.HostConfig.ExtraHosts, dns: r.HostConfig.Dns, dnsSearch: r.HostConfig.DnsSearch ?? [], dnsOptions: r.HostConfig.DnsOptions ?? [], ...o });
    const state: NetworkState = { kind: mode.kind, ports: [], address: "", gateway: "", prefixLen: 0, mac: "" };
    const save = () => writeFileSync(join(userdata, STATE), JSON.stringify(state));

    if (mode.kind === "user") return this.attachments.prepare(r, userdata);
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
    let prestart = slirpHook({
      slirp4netns,
      apiSocket: this.apiSocket(r.Id),
      log: join(userdata, "slirp4netns.log"),
      mtu: mode.mtu,
      mac: state.mac,
      allowHostLoopback: mode.allowHostLoopback,
      ports,
    });
    if (!this.attachments.wanted(r).length) return { etc, mode: "new", prestart };
    // Also on user-defined networks (connected later): their interfaces first, then slirp4netns's tap0 and route.
    const extra = await this.attachments.prepareExtra(r, prestart);
    prestart = extra.prestart;
    Object.assign(state, { endpoints: extra.endpoints, holder: extra.holder });
    save();
    return { etc, mode: "new", prestart, done: extra.done };
  }

  private apiSocket(id: string): string {
    const dir = join(this.ctx.runDir, "net");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return join(dir, `${id.slice(0, 16)}.sock`);
  }

  /** This start's network, when the container runs (Docker shows nothing for a stopped one). */
  current(record: ContainerRecord): NetworkState | undefined {
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
    return s?.kind === "slirp4netns" || s?.kind === "user" ? portMap(record, s.ports) : {};
  }

  address(record: ContainerRecord): string {
    return this.current(record)?.address ?? "";
  }

  /** The names of the networks a container is on (ps's NETWORKS column, its network filter). */
  networkNames(record: ContainerRecord): string[] {
    const named = Object.keys(record.NetworkSettings?.Networks ?? {});
    const display = (key: string) => (this.users.find(key) ? key : (findBuiltin(key)?.Name ?? key));
    return named.length ? named.map(display) : [display(this.modeName(record))];
  }

  /** Docker's NetworkSettings for inspect. */
  settings(record: ContainerRecord): Record<string, unknown> {
    const s = this.current(record);
    const pid = s ? this.ctx.container(record.Id).pid : 0;
    const mode = (() => {
      try {
        return this.mode(record).kind;
      } catch {
        return undefined;
      }
    })();
    let networks: Record<string, unknown>;
    if (mode === "user" || s?.endpoints?.length) networks = endpointSettings(record, s, this.users);
    else {
      const kind = s?.kind === "container" ? `container:${s.joined}` : (s?.kind ?? this.modeName(record));
      const builtin = findBuiltin(kind);
      const name = builtin?.Name ?? kind;
      networks = { [name]: { IPAMConfig: null, Links: null, Aliases: null, MacAddress: s?.mac ?? "", NetworkID: builtin ? builtinId(builtin.Name) : name, EndpointID: s?.address ? endpointId(record.Id, name) : "", Gateway: s?.gateway ?? "", IPAddress: s?.address ?? "", IPPrefixLen: s?.prefixLen ?? 0, IPv6Gateway: "", GlobalIPv6Address: "", GlobalIPv6PrefixLen: 0, DriverOpts: null } };
    }
    // Docker fills the top-level address fields for its default bridge only.
    const top = mode !== "user";
    return {
      Bridge: "",
      SandboxID: "",
      SandboxKey: pid && s?.kind !== "host" ? `/proc/${pid}/ns/net` : "",
      Ports: s?.kind === "slirp4netns" || s?.kind === "user" ? portMap(record, s.ports) : {},
      Gateway: top ? (s?.gateway ?? "") : "",
      IPAddress: top ? (s?.address ?? "") : "",
      IPPrefixLen: top ? (s?.prefixLen ?? 0) : 0,
      MacAddress: top ? s?.mac || record.NetworkSettings?.MacAddress || "" : "",
      Networks: networks,
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

  /** The container is gone: release what was set up for it (its slirp4netns ended with it; its leases now). */
  async release(record: ContainerRecord): Promise<void> {
    rmSync(join(this.ctx.runDir, "net", `${record.Id.slice(0, 16)}.sock`), { force: true });
    await this.attachments.releaseAll(record);
  }
}
