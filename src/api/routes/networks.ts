import type { Engine } from "../../engine/engine.js";
import { connectNetwork, createNetwork, disconnectNetwork, inspectNetwork, listNetworks, pruneNetworks, removeNetwork } from "../../engine/networks.js";
import { InvalidArgumentError } from "../../errors.js";
import type { Route } from "../router.js";

// The network endpoints (moby daemon/server/router/network). docker-compose
// 1.29 inspects its project network by name, creates it with labels when it
// is missing, and compares Driver, Options, IPAM, Internal and the labels on
// every later `up`: the engine's NetworkResource keeps them as given.

interface CreateBody {
  Name?: string;
  Driver?: string;
  Internal?: boolean;
  EnableIPv6?: boolean;
  Labels?: Record<string, string> | null;
  Options?: Record<string, string> | null;
  IPAM?: { Driver?: string; Config?: { Subnet?: string; Gateway?: string; IPRange?: string }[] | null } | null;
}

const stringMap = { "*": "string" } as const;
const CREATE_SHAPE = {
  Name: "string",
  Driver: "string",
  Internal: "boolean",
  EnableIPv6: "boolean",
  CheckDuplicate: "boolean",
  Labels: stringMap,
  Options: stringMap,
  IPAM: { Driver: "string", Config: [{ Subnet: "string", Gateway: "string", IPRange: "string" }], Options: stringMap },
} as const;

const ENDPOINT_SHAPE = { Aliases: ["string"], Links: ["string"], IPAMConfig: { IPv4Address: "string" } } as const;

export function networkRoutes(engine: Engine): Route[] {
  return [
    { method: "GET", path: "/networks", handle: async (c) => c.send(200, listNetworks(engine, c.query.filters())) },
    {
      method: "POST",
      path: "/networks/create",
      handle: async (c) => {
        const b = (await c.json<CreateBody>(CREATE_SHAPE)) ?? {};
        if (!b.Name) throw new InvalidArgumentError("network name is empty: give Name");
        const ipam = b.IPAM?.Config ?? [];
        const r = await createNetwork(engine, {
          name: b.Name,
          driver: b.Driver,
          ipamDriver: b.IPAM?.Driver,
          enableIPv6: b.EnableIPv6,
          subnets: ipam.flatMap((x) => (x.Subnet ? [x.Subnet] : [])),
          gateways: ipam.flatMap((x) => (x.Gateway ? [x.Gateway] : [])),
          ipRanges: ipam.flatMap((x) => (x.IPRange ? [x.IPRange] : [])),
          internal: b.Internal,
          labels: b.Labels ?? {},
          options: b.Options ?? {},
        });
        c.send(201, r);
      },
    },
    {
      method: "POST",
      path: "/networks/prune",
      handle: async (c) => c.send(200, { NetworksDeleted: await pruneNetworks(engine, c.query.filters()) }),
    },
    { method: "GET", path: "/networks/{id}", handle: async (c) => c.send(200, inspectNetwork(engine, c.param("id"))) },
    {
      method: "DELETE",
      path: "/networks/{id}",
      handle: async (c) => {
        await removeNetwork(engine, c.param("id"));
        c.sendStatus(204);
      },
    },
    {
      method: "POST",
      path: "/networks/{id}/connect",
      handle: async (c) => {
        const b = (await c.json<{ Container?: string; EndpointConfig?: { Aliases?: string[] | null; Links?: string[] | null; IPAMConfig?: { IPv4Address?: string } | null } | null }>({ Container: "string", EndpointConfig: ENDPOINT_SHAPE })) ?? {};
        if (!b.Container) throw new InvalidArgumentError("no container given: the body's Container is empty");
        const e = b.EndpointConfig ?? {};
        await connectNetwork(engine, c.param("id"), b.Container, { aliases: e.Aliases ?? [], ip: e.IPAMConfig?.IPv4Address || undefined, links: e.Links ?? [] });
        c.sendStatus(200);
      },
    },
    {
      method: "POST",
      path: "/networks/{id}/disconnect",
      handle: async (c) => {
        const b = (await c.json<{ Container?: string; Force?: boolean }>({ Container: "string", Force: "boolean" })) ?? {};
        if (!b.Container) throw new InvalidArgumentError("no container given: the body's Container is empty");
        await disconnectNetwork(engine, c.param("id"), b.Container, Boolean(b.Force));
        c.sendStatus(200);
      },
    },
  ];
}
