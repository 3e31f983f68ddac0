import { describe, expect, test } from "vitest";
import { conflictingOptions, parseNetworkMode } from "../../../src/network/mode.js";
import { portMap, wantedPorts } from "../../../src/network/ports.js";
import { checkMac, randomMac, slirpHook } from "../../../src/network/slirp.js";
import { displayablePorts } from "../../../src/network/display.js";
import type { ContainerRecord } from "../../../src/container/record.js";

describe("--network", () => {
  test("the default, bridge and slirp4netns all mean slirp4netns, host loopback open, the largest MTU", () => {
    for (const m of ["default", "bridge", "slirp4netns"]) expect(parseNetworkMode(m)).toEqual({ kind: "slirp4netns", allowHostLoopback: true, mtu: 65520 });
    expect(parseNetworkMode("default", "host")).toEqual({ kind: "host" });
    expect(parseNetworkMode("slirp4netns:allow_host_loopback=false,mtu=1500")).toEqual({ kind: "slirp4netns", allowHostLoopback: false, mtu: 1500 });
  });

  test("host, none, container:NAME; unknown networks and options are refused", () => {
    expect(parseNetworkMode("none")).toEqual({ kind: "none" });
    expect(parseNetworkMode("container:web")).toEqual({ kind: "container", ref: "web" });
    expect(() => parseNetworkMode("container:")).toThrow(/invalid container format/);
    expect(() => parseNetworkMode("mynet")).toThrow(/network mynet not found/);
    expect(() => parseNetworkMode("slirp4netns:enable_ipv6=true")).toThrow(/unknown slirp4netns option/);
    expect(() => parseNetworkMode("slirp4netns:mtu=70000")).toThrow(/invalid slirp4netns mtu/);
    expect(() => parseNetworkMode("slirp4netns:allow_host_loopback=yes")).toThrow(/true or false/);
  });

  test("Docker's conflicts with a borrowed network", () => {
    const none = { publish: false, dns: false, extraHosts: false, mac: false };
    expect(conflictingOptions({ kind: "container", ref: "x" }, { ...none, publish: true })).toMatch(/port publishing and the container type network mode/);
    expect(conflictingOptions({ kind: "container", ref: "x" }, { ...none, dns: true })).toMatch(/dns and the network mode/);
    expect(conflictingOptions({ kind: "host" }, { ...none, mac: true })).toMatch(/mac-address/);
    expect(conflictingOptions({ kind: "host" }, { ...none, publish: true })).toBeUndefined();
    expect(conflictingOptions({ kind: "container", ref: "x" }, none)).toBeUndefined();
  });
});

const record = (bindings: ContainerRecord["HostConfig"]["PortBindings"], exposed: string[], all = false) =>
  ({ HostConfig: { PortBindings: bindings, PublishAllPorts: all }, Config: { ExposedPorts: Object.fromEntries(exposed.map((e) => [e, {}])) } }) as unknown as ContainerRecord;

describe("published ports", () => {
  test("bindings as asked; -P adds every other exposed port at a random host port", () => {
    const r = record({ "80/tcp": [{ HostIp: "", HostPort: "8080" }, { HostIp: "127.0.0.1", HostPort: "" }] }, ["80/tcp", "53/udp"]);
    expect(wantedPorts(r)).toEqual([
      { proto: "tcp", hostIp: "0.0.0.0", hostPort: 8080, containerPort: 80 },
      { proto: "tcp", hostIp: "127.0.0.1", hostPort: 0, containerPort: 80 },
    ]);
    expect(wantedPorts({ ...r, HostConfig: { ...r.HostConfig, PublishAllPorts: true } }).at(-1)).toEqual({ proto: "udp", hostIp: "0.0.0.0", hostPort: 0, containerPort: 53 });
  });

  test("NetworkSettings.Ports lists every exposed port, null when not published", () => {
    const r = record({}, ["80/tcp", "53/udp"]);
    expect(portMap(r, [{ proto: "tcp", hostIp: "0.0.0.0", hostPort: 32768, containerPort: 80 }])).toEqual({
      "80/tcp": [{ HostIp: "0.0.0.0", HostPort: "32768" }],
      "53/udp": null,
    });
  });

  test("the slirp hook's arguments", () => {
    const argv = slirpHook({ slirp4netns: "/usr/bin/slirp4netns", apiSocket: "/run/s.sock", log: "/l", mtu: 65520, mac: "02:42:00:00:00:01", allowHostLoopback: false, ports: [{ proto: "udp", hostIp: "127.0.0.1", hostPort: 5353, containerPort: 53 }] });
    expect(argv[0]).toMatch(/\/skiff-slirp$/);
    expect(argv.slice(1)).toEqual(["--slirp4netns", "/usr/bin/slirp4netns", "--api-socket", "/run/s.sock", "--log", "/l", "--mtu", "65520", "--mac", "02:42:00:00:00:01", "--disable-host-loopback", "--publish", "udp:127.0.0.1:5353:53"]);
  });

  test("MAC addresses: Docker's format, unicast only", () => {
    expect(randomMac()).toMatch(/^02:42(:[0-9a-f]{2}){4}$/);
    expect(checkMac("02:42:AC:11:00:02")).toBe("02:42:ac:11:00:02");
    expect(() => checkMac("02:42:ac:11:00")).toThrow(/not a valid mac address/);
    expect(() => checkMac("01:00:5e:00:00:01")).toThrow(/multicast/);
  });
});

describe("ps PORTS column", () => {
  test("Docker's order and ranges: unmapped runs collapse, remapped ports come last", () => {
    expect(displayablePorts({})).toBe("");
    expect(displayablePorts({ "80/tcp": [{ HostIp: "0.0.0.0", HostPort: "8080" }] })).toBe("0.0.0.0:8080->80/tcp");
    expect(displayablePorts({ "8443/tcp": null, "80/tcp": null, "81/tcp": null, "53/udp": null })).toBe("80-81/tcp, 53/udp, 8443/tcp"); // a run is flushed when it breaks, before the groups still open
    expect(
      displayablePorts({
        "9000/tcp": [{ HostIp: "0.0.0.0", HostPort: "9000" }],
        "9001/tcp": [{ HostIp: "0.0.0.0", HostPort: "9001" }],
        "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "8080" }],
        "443/tcp": null,
      }),
    ).toBe("443/tcp, 0.0.0.0:9000-9001->9000-9001/tcp, 127.0.0.1:8080->80/tcp");
    expect(displayablePorts({ "80/tcp": null, "82/tcp": null })).toBe("80/tcp, 82/tcp");
  });
});
