import { createHash } from "node:crypto";
import type { ContainerRecord, EndpointRequest } from "../container/record.js";
import { ipToInt } from "./cidr.js";
import { SLIRP } from "./slirp.js";
import type { UserNetwork } from "./store.js";

// One container on one user-defined network: what the holder is asked to
// set up (skiff-netns's attach request), and what is kept of it in the
// container's network.json. Names follow the kernel's 15-character limit.

export interface Attached {
  network: string; // id
  name: string;
  bridge: string;
  address: string;
  prefixLen: number;
  gateway: string;
  mac: string;
  ifname: string;
  veth: string;
  internal: boolean;
  aliases: string[];
}

/** Docker derives a container's MAC from its address (02:42 + the four octets). */
export function macFor(address: string): string {
  return ["02", "42", ...address.split(".").map((o) => Number(o).toString(16).padStart(2, "0"))].join(":");
}

/** The holder's end of the container's veth pair, unique per container and network. */
export function vethName(containerId: string, networkId: string): string {
  return `skv${createHash("sha256").update(`${containerId}/${networkId}`).digest("hex").slice(0, 12)}`;
}

/** What a container answers to on a network: its name, its aliases and its short id (Docker's DNS names). */
export function dnsNames(record: ContainerRecord, aliases: string[]): string[] {
  const names = [record.Name.replace(/^\//, ""), ...aliases, record.Id.slice(0, 12)].map((n) => n.toLowerCase());
  return [...new Set(names)].filter((n) => /^[a-z0-9_.-]+$/.test(n));
}

export function describe(n: UserNetwork, address: string, ifname: string, containerId: string, req: EndpointRequest | undefined): Attached {
  return {
    network: n.Id,
    name: n.Name,
    bridge: n.Bridge,
    address,
    prefixLen: Number(n.Subnet.split("/")[1]),
    gateway: n.Gateway,
    mac: macFor(address),
    ifname,
    veth: vethName(containerId, n.Id),
    internal: n.Internal,
    aliases: req?.Aliases ?? [],
  };
}

/** skiff-netns's attach request (the pid is added by whoever sends it). */
export function attachLine(a: Attached, o: { mtu: number; route: boolean; names: string[]; upstream?: string }): string {
  const peer = `skp${a.veth.slice(3)}`;
  const upstream = a.internal ? "-" : (o.upstream ?? SLIRP.dns);
  return [
    "attach",
    `bridge=${a.bridge}`,
    // The gateway is never a container's address: its MAC is the bridge's alone.
    `bridge_mac=${macFor(a.gateway)}`,
    `gateway=${a.gateway}/${a.prefixLen}`,
    `internal=${a.internal ? 1 : 0}`,
    `mtu=${o.mtu}`,
    `veth=${a.veth}`,
    `peer=${peer}`,
    `ifname=${a.ifname}`,
    `addr=${a.address}/${a.prefixLen}`,
    `mac=${a.mac}`,
    `route=${o.route ? 1 : 0}`,
    `names=${o.names.join(",")}`,
    `upstream=${upstream}`,
  ].join(" ");
}

/** The first interface name eth<N> a container does not use yet. */
export function nextIfname(used: string[]): string {
  for (let i = 0; ; i++) if (!used.includes(`eth${i}`)) return `eth${i}`;
}

/** Sort key for addresses (inspect lists containers by address). */
export const addressOrder = (a: string, b: string) => ipToInt(a) - ipToInt(b);
