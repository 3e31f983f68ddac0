import { describe, expect, test } from "vitest";
import { endpointRequests, type CreateFlags } from "../../../src/container/create-flags.js";
import { parseCidr } from "../../../src/network/cidr.js";
import { chooseSubnet, lease, parseSubnet, RESERVED } from "../../../src/network/ipam.js";
import type { Leases, UserNetwork } from "../../../src/network/store.js";

// Address arithmetic of user-defined networks: subnets from the pool,
// leases that stay, static addresses, and Docker's words for bad ones.

const net = (over: Partial<UserNetwork> = {}): UserNetwork => ({
  Name: "n", Id: "a".repeat(64), Created: "", Driver: "bridge", Subnet: "10.89.0.0/24", Gateway: "10.89.0.1",
  Internal: false, Labels: {}, Options: {}, Bridge: "skbaaaaaaaaaaaa", Mtu: 65520, ...over,
});

describe("ipam", () => {
  test("subnets: the pool's first free block; given ones checked as Docker does", () => {
    const pool = parseCidr("10.89.0.0/16")!;
    expect(chooseSubnet(pool, 24, [RESERVED])).toEqual({ base: parseCidr("10.89.0.0/24")!.base, prefix: 24 });
    expect(chooseSubnet(pool, 24, [parseCidr("10.89.0.0/23")!])).toEqual({ base: parseCidr("10.89.2.0/24")!.base, prefix: 24 });
    expect(() => chooseSubnet(parseCidr("10.89.0.0/24")!, 24, [parseCidr("10.89.0.0/24")!])).toThrow(/non-overlapping IPv4 address pool/);
    expect(() => parseSubnet("10.0.0/24")).toThrow("invalid CIDR address: 10.0.0/24");
    expect(() => parseSubnet("10.1.2.3/24")).toThrow("invalid subnet 10.1.2.3/24 : it should be 10.1.2.0/24");
    expect(() => parseSubnet("fd00::/64")).toThrow(/IPv6 subnets are not supported/);
  });

  test("leases: in turn, kept by their container, static ones checked, stale ones freed", () => {
    const l: Leases = { next: 0, byContainer: {} };
    const never = () => false;
    expect(lease(net(), l, "c1", undefined, never)).toBe("10.89.0.2");
    expect(lease(net(), l, "c2", undefined, never)).toBe("10.89.0.3");
    expect(lease(net(), l, "c1", undefined, never)).toBe("10.89.0.2");
    expect(lease(net(), l, "c3", "10.89.0.50", never)).toBe("10.89.0.50");
    expect(() => lease(net(), l, "c4", "10.89.0.50", never)).toThrow("Address already in use");
    expect(() => lease(net(), l, "c4", "10.89.0.1", never)).toThrow("Address already in use");
    expect(() => lease(net(), l, "c4", "10.90.0.5", never)).toThrow("no configured subnet or ip-range contain the IP address 10.90.0.5");
    // c2 is gone: its address is free, but the next one handed out is the one after the last.
    expect(lease(net(), l, "c5", undefined, (id) => id === "c2")).toBe("10.89.0.4");
    expect(l.byContainer).toEqual({ c1: "10.89.0.2", c3: "10.89.0.50", c5: "10.89.0.4" });
    const ranged = net({ IPRange: "10.89.0.128/30" });
    const r: Leases = { next: 0, byContainer: {} };
    expect([1, 2, 3, 4].map((i) => lease(ranged, r, `r${i}`, undefined, never))).toEqual(["10.89.0.128", "10.89.0.129", "10.89.0.130", "10.89.0.131"]);
    expect(() => lease(ranged, r, "r5", undefined, never)).toThrow(/no available IPv4 addresses/);
  });

  test("--network given several times, the long form, and the first network's --network-alias, --ip and --link", () => {
    const req = { networks: ["a", "name=b,alias=bee,ip=10.1.0.5"], networkAlias: ["x"], ip: "10.0.0.9", link: ["db", "cache:c"] } as unknown as CreateFlags;
    expect(endpointRequests(req)).toEqual({
      mode: "a",
      networks: {
        a: { Aliases: ["x"], IPAMConfig: { IPv4Address: "10.0.0.9" }, Links: ["db:db", "cache:c"] },
        b: { Aliases: ["bee"], IPAMConfig: { IPv4Address: "10.1.0.5" }, Links: null },
      },
    });
    expect(() => endpointRequests({ networks: ["a", "a"] } as unknown as CreateFlags)).toThrow('network "a" is specified multiple times');
  });
});
