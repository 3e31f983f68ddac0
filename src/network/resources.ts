import { createHash } from "node:crypto";
import { SLIRP } from "./slirp.js";
import type { UserNetwork } from "./store.js";

// Docker's NetworkResource (GET /networks, `network inspect`) for the three
// networks every rootless container can use and for user-defined ones.
// Clients compare these fields (docker-compose recreates a network whose
// Driver, Options, IPAM, Internal or Labels differ), so a field left empty
// has Docker's empty value: Options {} when none were given, Labels {}.

export interface NetworkEndpoint {
  Name: string;
  EndpointID: string;
  MacAddress: string;
  IPv4Address: string;
  IPv6Address: string;
}

export interface NetworkResource {
  Name: string;
  Id: string;
  Created: string;
  Scope: "local";
  Driver: string;
  EnableIPv4: boolean;
  EnableIPv6: boolean;
  IPAM: { Driver: string; Options: Record<string, string> | null; Config: { Subnet: string; Gateway: string; IPRange?: string }[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Containers: Record<string, NetworkEndpoint>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

interface Builtin {
  Name: string;
  Driver: string;
  subnet?: string;
  gateway?: string;
}

/**
 * The networks a rootless container can always use, by Docker's names:
 * clients look for bridge, host and none (docker-compose, testcontainers);
 * the default network is slirp4netns, which its driver says.
 */
export const BUILTIN: Builtin[] = [
  { Name: "bridge", Driver: "slirp4netns", subnet: `${SLIRP.gateway.replace(/\.\d+$/, ".0")}/${SLIRP.prefixLen}`, gateway: SLIRP.gateway },
  { Name: "host", Driver: "host" },
  { Name: "none", Driver: "null" },
];

/** Other names for the default network: Docker's "default", and what it is. */
export const BUILTIN_ALIASES: Record<string, string> = { slirp4netns: "bridge", default: "bridge" };

/** The name the default network goes by in inspect and ps. */
export const DEFAULT_NETWORK_NAME = "bridge";

/** A built-in network's id: stable (a digest of its name), so scripts that keep one keep working. */
export const builtinId = (name: string) => createHash("sha256").update(`skiff network ${name}`).digest("hex");

export function findBuiltin(ref: string): Builtin | undefined {
  const name = BUILTIN_ALIASES[ref] ?? ref;
  const hits = BUILTIN.filter((n) => n.Name === name || (/^[0-9a-f]+$/.test(ref) && builtinId(n.Name).startsWith(ref)));
  return hits.length === 1 ? hits[0] : undefined;
}

export function builtinResource(n: Builtin, containers: Record<string, NetworkEndpoint>): NetworkResource {
  return {
    Name: n.Name,
    Id: builtinId(n.Name),
    Created: "0001-01-01T00:00:00Z",
    Scope: "local",
    Driver: n.Driver,
    EnableIPv4: n.Driver === "slirp4netns",
    EnableIPv6: false,
    IPAM: { Driver: "default", Options: null, Config: n.subnet ? [{ Subnet: n.subnet, Gateway: n.gateway! }] : [] },
    Internal: false,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: "" },
    ConfigOnly: false,
    Containers: containers,
    Options: {},
    Labels: {},
  };
}

export function userResource(n: UserNetwork, containers: Record<string, NetworkEndpoint>): NetworkResource {
  return {
    Name: n.Name,
    Id: n.Id,
    Created: n.Created,
    Scope: "local",
    Driver: n.Driver,
    EnableIPv4: true,
    EnableIPv6: false,
    IPAM: { Driver: "default", Options: {}, Config: [{ Subnet: n.Subnet, Gateway: n.Gateway, ...(n.IPRange ? { IPRange: n.IPRange } : {}) }] },
    Internal: n.Internal,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: "" },
    ConfigOnly: false,
    Containers: containers,
    Options: n.Options,
    Labels: n.Labels,
  };
}

/** Docker's endpoint id: ours is derived, so it is the same wherever it is shown. */
export const endpointId = (containerId: string, networkId: string) => createHash("sha256").update(`endpoint ${containerId} ${networkId}`).digest("hex");
