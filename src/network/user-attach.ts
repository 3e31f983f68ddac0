import { readFileSync, writeFileSync } from "node:fs";
import { isIPv4 } from "node:net";
import { join } from "node:path";
import type { ContainerRecord, EndpointRequest } from "../container/record.js";
import { ConflictError, InvalidArgumentError, NotFoundError, SkiffError } from "../errors.js";
import { attachLine, describe, dnsNames, nextIfname, type Attached } from "./attach.js";
import { writeEtcFiles } from "./etc-files.js";
import { portForwarderArgv, type Holder } from "./holder.js";
import type { NetworkMode } from "./mode.js";
import { claimPorts, type PublishedPort } from "./ports.js";
import type { ContainerFacts, NetworkContext, NetworkSetup } from "./context.js";
import type { UserNetwork } from "./store.js";
import type { UserNetworks } from "./user-networks.js";

// Containers on user-defined networks: their addresses (leased at create,
// kept until rm or disconnect), the holder's attach requests run as the
// monitor's prestart hook (so the program starts with its network up), live
// connect and disconnect, and the rebuild after the holder was killed: the
// next command that needs it starts a new one and attaches the running
// containers again, with the same addresses.

/** userdata/network.json: one start's network. */
export interface NetworkState {
  kind: NetworkMode["kind"] | "user";
  ports: PublishedPort[];
  address: string;
  gateway: string;
  prefixLen: number;
  mac: string;
  /** --network container:X: the container whose namespace was joined. */
  joined?: string;
  /** User-defined networks it is on, with the attach request of each. */
  endpoints?: (Attached & { line: string })[];
  /** The holder ("PID STARTTIME") they were attached to. */
  holder?: string;
}

const STATE = "network.json";

export function readState(userdata: string): NetworkState | undefined {
  try {
    return JSON.parse(readFileSync(join(userdata, STATE), "utf8")) as NetworkState;
  } catch {
    return undefined;
  }
}

const writeState = (userdata: string, s: NetworkState) => writeFileSync(join(userdata, STATE), JSON.stringify(s));

const BUILTIN_MODE = /^(default|bridge|host|none|slirp4netns(:.*)?|container:.*)$/;

export class UserAttachments {
  constructor(
    private readonly ctx: NetworkContext,
    private readonly users: UserNetworks,
    readonly holder: Holder,
  ) {}

  /** The user networks a record asks for, in order (HostConfig.NetworkMode's first). */
  wanted(r: ContainerRecord): { net: UserNetwork; req: EndpointRequest; key: string }[] {
    const entries = Object.entries(r.NetworkSettings?.Networks ?? {}).filter(([k]) => !BUILTIN_MODE.test(k));
    entries.sort(([a], [b]) => (a === r.HostConfig.NetworkMode ? -1 : b === r.HostConfig.NetworkMode ? 1 : 0));
    return entries.map(([key, req]) => {
      const net = (req.NetworkID && this.users.find(req.NetworkID)) || this.users.find(key);
      if (!net) throw new NotFoundError(`network ${key} not found`, "skiff network ls lists the networks; skiff network create makes one");
      return { net, req, key };
    });
  }

  /** At create: an address on each network (nothing kept if one cannot be had), links checked. */
  async claim(r: ContainerRecord): Promise<void> {
    const nets = r.NetworkSettings?.Networks ?? {};
    const builtins = Object.keys(nets).filter((k) => BUILTIN_MODE.test(k) && !/^(default|bridge|slirp4netns)/.test(k));
    if (builtins.length) throw new InvalidArgumentError(`Container cannot be connected to network endpoints: ${Object.keys(nets).join(", ")}`, "host, none and container:X networks cannot be combined with others");
    const got: UserNetwork[] = [];
    try {
      for (const { net, req } of this.wanted(r)) {
        await this.users.lease(net, r.Id, req.IPAMConfig?.IPv4Address);
        got.push(net);
        req.NetworkID = net.Id;
      }
      for (const l of Object.values(nets).flatMap((e) => e.Links ?? [])) this.ctx.container(l.split(":")[0]!);
    } catch (e) {
      for (const n of got) await this.users.release(n, r.Id);
      throw e;
    }
  }

  /** Run fn with the holder up and the idle lock held (the holder cannot leave meanwhile). */
  private async withHolder<T>(fn: (instance: string, release: () => Promise<void>) => Promise<T>): Promise<T> {
    const release = await this.ctx.acquire("netns-idle", "shared");
    try {
      const instance = await this.holder.ensure();
      await this.reattach(instance);
      return await fn(instance, release);
    } catch (e) {
      await release();
      throw e;
    }
  }

  /**
   * Running containers attached to an earlier holder (it was killed): attach
   * them to this one, with the same addresses. Those that cannot be are
   * named once, with the way back.
   */
  private async reattach(instance: string): Promise<void> {
    const lost: string[] = [];
    for (const c of this.ctx.containers()) {
      if (!c.running || !c.pid) continue;
      const s = readState(c.userdata);
      if (!s?.endpoints?.length || s.holder === instance) continue;
      try {
        await this.holder.request(s.endpoints.map((a) => `${a.line} pid=${c.pid}`));
      } catch {
        lost.push(c.name);
      }
      writeState(c.userdata, { ...s, holder: instance });
    }
    if (lost.length)
      throw new SkiffError(`the user-defined networks' namespace was rebuilt, but ${lost.join(", ")} could not be attached to it again and ${lost.length > 1 ? "have" : "has"} no network`, {
        hint: `skiff restart ${lost.join(" ")}`,
      });
  }

  /** This start's endpoints: an address on each network and the holder's attach request for it. */
  private async plan(r: ContainerRecord, defaultRoute: boolean): Promise<(Attached & { line: string })[]> {
    const wanted = this.wanted(r);
    const attached: (Attached & { line: string })[] = [];
    for (const [i, w] of wanted.entries()) {
      const address = await this.users.lease(w.net, r.Id, w.req.IPAMConfig?.IPv4Address);
      attached.push({ ...describe(w.net, address, `eth${i}`, r.Id, w.req), line: "" });
    }
    const route = defaultRoute ? attached.findIndex((a) => !a.internal) : -1;
    const upstream = r.HostConfig.Dns.find((d) => isIPv4(d));
    attached.forEach((a, i) => {
      a.line = attachLine(a, { mtu: wanted[i]!.net.Mtu, route: i === route, names: dnsNames(r, a.aliases), upstream });
    });
    return attached;
  }

  /** A start: leases, the attach requests as the prestart hook, ports through skiff-portfwd. */
  async prepare(r: ContainerRecord, userdata: string): Promise<NetworkSetup> {
    return this.withHolder(async (instance, release) => {
      const attached = await this.plan(r, true);
      const first = attached[0]!;
      const ports = await claimPorts(r);
      const udp = ports.find((p) => p.proto === "udp");
      if (udp)
        throw new InvalidArgumentError(`cannot publish ${udp.containerPort}/udp: containers on user-defined networks publish tcp ports only`, "publish the udp port from a container on the default network, or use tcp");
      writeState(userdata, { kind: "user", ports, address: first.address, gateway: first.gateway, prefixLen: first.prefixLen, mac: first.mac, endpoints: attached, holder: instance });
      const etc = writeEtcFiles(userdata, {
        hostname: r.Config.Hostname,
        domainname: r.Config.Domainname,
        extraHosts: [...r.HostConfig.ExtraHosts, ...this.linkHosts(r, this.wanted(r).map((w) => w.net))],
        // Docker's embedded DNS: the container asks the gateway, names as they are (ndots:0).
        dns: [first.gateway],
        dnsSearch: r.HostConfig.DnsSearch ?? [],
        dnsOptions: r.HostConfig.DnsOptions?.length ? r.HostConfig.DnsOptions : ["ndots:0"],
        hostNetwork: false,
        ownAddress: first.address,
        // host-gateway: a gateway takes TCP to the host (holderRules).
        gateway: attached.find((a) => !a.internal)?.gateway,
      });
      const forwarder = ports.length ? portForwarderArgv(first.address, ports) : [];
      return { etc, mode: "new" as const, prestart: this.holder.hook(attached.map((a) => a.line), forwarder), done: release };
    });
  }

  /** A container on the default network that is also on user networks: attached first, then slirp4netns runs (its route wins). */
  async prepareExtra(r: ContainerRecord, slirpHook: string[]): Promise<{ prestart: string[]; done: () => Promise<void>; endpoints: (Attached & { line: string })[]; holder: string }> {
    return this.withHolder(async (instance, release) => {
      const attached = await this.plan(r, false);
      return { prestart: this.holder.hook(attached.map((a) => a.line), slirpHook), done: release, endpoints: attached, holder: instance };
    });
  }

  /** --link NAME:ALIAS on a user network: the alias in /etc/hosts, at the other's address on a shared network. */
  private linkHosts(r: ContainerRecord, nets: UserNetwork[]): string[] {
    const out: string[] = [];
    for (const link of Object.values(r.NetworkSettings?.Networks ?? {}).flatMap((e) => e.Links ?? [])) {
      const [name = "", alias = name] = link.split(":");
      const other = this.ctx.container(name);
      const ip = nets.map((n) => this.users.leased(n, other.id)).find(Boolean);
      if (!ip) throw new ConflictError(`cannot link to ${name}: it is not on any network of this container`, `connect it first: skiff network connect ${nets[0]?.Name ?? "NETWORK"} ${name}`);
      out.push(`${alias}:${ip}`);
      if (alias !== other.name) out.push(`${other.name}:${ip}`);
    }
    return out;
  }

  async connect(netRef: string, ctrRef: string, o: { aliases?: string[]; ip?: string; links?: string[] } = {}): Promise<void> {
    const net = this.users.get(netRef);
    const c = this.ctx.container(ctrRef);
    const r = c.record;
    const mode = r.HostConfig.NetworkMode;
    if (mode === "host" || mode === "none" || mode.startsWith("container:"))
      throw new ConflictError(`container ${c.id} is on the ${mode.startsWith("container:") ? "network of another container" : `${mode} network`} and cannot be connected to others`, "run it with --network NAME instead");
    const nets = (r.NetworkSettings ??= {}).Networks ??= {};
    if (Object.entries(nets).some(([k, e]) => k === net.Name || e.NetworkID === net.Id))
      throw new ConflictError(`endpoint with name ${c.name} already exists in network ${net.Name}`);
    const req: EndpointRequest = { NetworkID: net.Id, Aliases: o.aliases?.length ? o.aliases : null, IPAMConfig: o.ip ? { IPv4Address: o.ip } : null, Links: o.links?.length ? o.links : null };
    const address = await this.users.lease(net, r.Id, o.ip);
    try {
      if (c.running && c.pid) await this.attachLive(c, net, req, address);
      nets[net.Name] = req;
      if (!Object.keys(nets).includes(mode) && BUILTIN_MODE.test(mode)) nets[mode] = { Aliases: null, IPAMConfig: null, Links: null };
      this.ctx.updateRecord(r);
    } catch (e) {
      await this.users.release(net, r.Id);
      throw e;
    }
  }

  private async attachLive(c: ContainerFacts, net: UserNetwork, req: EndpointRequest, address: string): Promise<void> {
    await this.withHolder(async (instance, release) => {
      try {
        const s = readState(c.userdata) ?? { kind: "none", ports: [], address: "", gateway: "", prefixLen: 0, mac: "" };
        const eps = s.endpoints ?? [];
        const a = describe(net, address, nextIfname(eps.map((e) => e.ifname)), c.id, req);
        const route = s.kind === "user" && !net.Internal && !eps.some((e) => !e.internal);
        const line = attachLine(a, { mtu: net.Mtu, route, names: dnsNames(c.record, a.aliases), upstream: c.record.HostConfig.Dns.find((d) => isIPv4(d)) });
        await this.holder.request([`${line} pid=${c.pid}`]);
        writeState(c.userdata, { ...s, endpoints: [...eps, { ...a, line }], holder: instance });
      } finally {
        await release();
      }
    });
  }

  async disconnect(netRef: string, ctrRef: string, force = false): Promise<void> {
    const c = this.ctx.container(ctrRef);
    const r = c.record;
    const net = this.users.find(netRef);
    const nets = r.NetworkSettings?.Networks ?? {};
    const key = Object.keys(nets).find((k) => k === netRef || (net && (k === net.Name || nets[k]!.NetworkID === net.Id)));
    if (!key || !net) {
      if (force) return;
      if (!net) throw new NotFoundError(`network ${netRef} not found`);
      throw new ConflictError(`container ${c.id} is not connected to network ${net.Name}`);
    }
    if (c.running) {
      const s = readState(c.userdata);
      const a = s?.endpoints?.find((e) => e.network === net.Id);
      if (s && a) {
        if (this.holder.instance()) await this.holder.request([`detach veth=${a.veth}`]);
        writeState(c.userdata, { ...s, endpoints: s.endpoints!.filter((e) => e !== a) });
      }
    }
    delete nets[key];
    if (r.HostConfig.NetworkMode === key) r.HostConfig.NetworkMode = Object.keys(nets)[0] ?? "none";
    this.ctx.updateRecord(r);
    await this.users.release(net, r.Id);
  }

  async releaseAll(r: ContainerRecord): Promise<void> {
    for (const [key, req] of Object.entries(r.NetworkSettings?.Networks ?? {})) {
      const net = (req.NetworkID && this.users.find(req.NetworkID)) || this.users.find(key);
      if (net) await this.users.release(net, r.Id);
    }
  }

  /** Running containers attached to a network (its active endpoints). */
  attachedTo(netId: string): { c: ContainerFacts; a: Attached }[] {
    const out: { c: ContainerFacts; a: Attached }[] = [];
    for (const c of this.ctx.containers()) {
      if (!c.running) continue;
      const a = readState(c.userdata)?.endpoints?.find((e) => e.network === netId);
      if (a) out.push({ c, a });
    }
    return out;
  }

  /** Remove the network's bridge from a running holder (its definition is the caller's). */
  async forget(net: UserNetwork): Promise<void> {
    if (this.holder.instance()) await this.holder.request([`forget bridge=${net.Bridge}`]).catch(() => {});
  }
}
