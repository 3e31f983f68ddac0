import type { ContainerRecord } from "../container/record.js";
import { dnsNames } from "./attach.js";
import { builtinId, endpointId, findBuiltin } from "./resources.js";
import type { NetworkState } from "./user-attach.js";
import type { UserNetworks } from "./user-networks.js";

// inspect's NetworkSettings.Networks for a container on user-defined
// networks: one entry per network asked for, addressed while it runs.
// Aliases carry the 12-character short id, as Docker's did before API 1.45:
// docker-compose 1.29 reconnects a container whose aliases lack it.

export function endpointSettings(record: ContainerRecord, s: NetworkState | undefined, users: UserNetworks): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const shortId = record.Id.slice(0, 12);
  for (const [key, req] of Object.entries(record.NetworkSettings?.Networks ?? {})) {
    const net = (req.NetworkID && users.find(req.NetworkID)) || users.find(key);
    const a = net ? s?.endpoints?.find((e) => e.network === net.Id) : undefined;
    const slirp = !net && s?.kind === "slirp4netns";
    const aliases = net ? [...(req.Aliases ?? []), shortId] : req.Aliases;
    const builtin = net ? undefined : findBuiltin(key);
    out[builtin?.Name ?? key] = {
      IPAMConfig: req.IPAMConfig,
      Links: req.Links,
      Aliases: aliases?.length ? [...new Set(aliases)] : null,
      MacAddress: a?.mac ?? (slirp ? s.mac : ""),
      DriverOpts: null,
      NetworkID: net?.Id ?? (builtin ? builtinId(builtin.Name) : key),
      EndpointID: a || slirp ? endpointId(record.Id, net?.Id ?? builtin?.Name ?? key) : "",
      Gateway: a?.gateway ?? (slirp ? s.gateway : ""),
      IPAddress: a?.address ?? (slirp ? s.address : ""),
      IPPrefixLen: a?.prefixLen ?? (slirp ? s.prefixLen : 0),
      IPv6Gateway: "",
      GlobalIPv6Address: "",
      GlobalIPv6PrefixLen: 0,
      DNSNames: a ? dnsNames(record, a.aliases) : null,
    };
  }
  return out;
}
