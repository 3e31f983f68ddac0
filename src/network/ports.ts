import { createSocket } from "node:dgram";
import { readFileSync } from "node:fs";
import { createServer, isIPv4 } from "node:net";
import { InvalidArgumentError, SkiffError } from "../errors.js";
import type { ContainerRecord } from "../container/record.js";

// Published ports: which host ports a container's ports are forwarded from.
// Each one is claimed here, before the container starts, by binding it once:
// a taken port or one below net.ipv4.ip_unprivileged_port_start is reported
// as one line with its fix (exit 125), not as a half-started container. A
// port asked for as "random" (-p 80, -p ip::80, -P) is the kernel's choice.

export interface PublishedPort {
  proto: "tcp" | "udp";
  hostIp: string;
  hostPort: number;
  containerPort: number;
}

interface Wanted {
  proto: string;
  hostIp: string;
  hostPort: number; // 0: any free port
  containerPort: number;
}

/** The record's bindings, plus every other exposed port with -P (Docker's PublishAllPorts). */
export function wantedPorts(r: ContainerRecord): Wanted[] {
  const out: Wanted[] = [];
  const keys = new Set(Object.keys(r.HostConfig.PortBindings));
  if (r.HostConfig.PublishAllPorts) for (const k of Object.keys(r.Config.ExposedPorts)) keys.add(k);
  for (const key of keys) {
    const [port = "", proto = "tcp"] = key.split("/");
    const bindings = r.HostConfig.PortBindings[key];
    for (const b of bindings?.length ? bindings : [{ HostIp: "", HostPort: "" }])
      out.push({ proto, hostIp: b.HostIp || "0.0.0.0", hostPort: Number(b.HostPort || 0), containerPort: Number(port) });
  }
  return out;
}

function unprivilegedPortStart(): number {
  try {
    return Number(readFileSync("/proc/sys/net/ipv4/ip_unprivileged_port_start", "utf8").trim());
  } catch {
    return 1024; // the kernel's default
  }
}

function bindOnce(proto: string, ip: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    if (proto === "udp") {
      const s = createSocket("udp4");
      s.once("error", reject);
      s.bind({ address: ip, port, exclusive: true }, () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
      return;
    }
    const srv = createServer();
    srv.once("error", reject);
    srv.listen({ host: ip, port, exclusive: true }, () => {
      const a = srv.address();
      const p = typeof a === "object" && a ? a.port : port;
      srv.close(() => resolve(p));
    });
  });
}

function portError(w: Wanted, e: NodeJS.ErrnoException, start: number): SkiffError {
  const where = `${w.hostIp}:${w.hostPort}`;
  const what = `cannot publish ${where} for ${w.containerPort}/${w.proto}: listen ${w.proto}4 ${where}: bind: `;
  const suggest = `-p ${w.hostPort < start ? Math.max(start, 8000 + (w.containerPort % 1000)) : w.hostPort + 1}:${w.containerPort}`;
  if (e.code === "EACCES")
    return new SkiffError(`${what}permission denied`, {
      code: 125,
      hint: `ports below ${start} (net.ipv4.ip_unprivileged_port_start) need root: publish a higher host port (${suggest}), or run sudo sysctl net.ipv4.ip_unprivileged_port_start=${w.hostPort}`,
    });
  if (e.code === "EADDRINUSE")
    return new SkiffError(`${what}address already in use`, { code: 125, hint: `another program or container holds port ${w.hostPort}: publish a free one (${suggest}) or stop what holds it` });
  if (e.code === "EADDRNOTAVAIL")
    return new SkiffError(`${what}cannot assign requested address`, { code: 125, hint: `${w.hostIp} is not an address of this host: publish on one of its addresses, or leave the address out` });
  return new SkiffError(`${what}${e.message}`, { code: 125 });
}

/** Check and fix every published port; random ones get a free port now. */
export async function claimPorts(r: ContainerRecord): Promise<PublishedPort[]> {
  const start = unprivilegedPortStart();
  const out: PublishedPort[] = [];
  for (const w of wantedPorts(r)) {
    if (w.proto !== "tcp" && w.proto !== "udp")
      throw new InvalidArgumentError(`cannot publish ${w.containerPort}/${w.proto}: slirp4netns forwards only tcp and udp`);
    if (!isIPv4(w.hostIp))
      throw new InvalidArgumentError(`cannot publish on ${w.hostIp}: slirp4netns forwards IPv4 host addresses only`, "give an IPv4 address (-p 127.0.0.1:8080:80) or none");
    // slirp4netns binds from inside skiff's user namespace: never privileged, whoever runs the CLI.
    if (w.hostPort && w.hostPort < start) throw portError(w, Object.assign(new Error("permission denied"), { code: "EACCES" }), start);
    if (out.some((p) => p.proto === w.proto && p.hostPort === w.hostPort && w.hostPort && (p.hostIp === w.hostIp || p.hostIp === "0.0.0.0" || w.hostIp === "0.0.0.0")))
      throw new InvalidArgumentError(`host port ${w.hostPort}/${w.proto} is published twice`, "give each published port its own host port");
    let hostPort: number;
    try {
      hostPort = await bindOnce(w.proto, w.hostIp, w.hostPort);
    } catch (e) {
      throw portError(w, e as NodeJS.ErrnoException, start);
    }
    out.push({ proto: w.proto, hostIp: w.hostIp, hostPort, containerPort: w.containerPort });
  }
  return out;
}

/** Docker's NetworkSettings.Ports: every exposed port, with its host bindings or null. */
export function portMap(r: ContainerRecord, published: PublishedPort[]): Record<string, { HostIp: string; HostPort: string }[] | null> {
  const out: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  for (const k of Object.keys(r.Config.ExposedPorts)) out[k] = null;
  for (const p of published) (out[`${p.containerPort}/${p.proto}`] ??= []).push({ HostIp: p.hostIp, HostPort: String(p.hostPort) });
  return out;
}
