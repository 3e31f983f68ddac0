import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { nativeProgram } from "../config/install.js";
import { InvalidArgumentError } from "../errors.js";
import type { PublishedPort } from "./ports.js";

// The default rootless network: slirp4netns on a tap device in the
// container's own network namespace, with slirp4netns's fixed addresses
// (its --configure uses these for the default 10.0.2.0/24).
// https://github.com/rootless-containers/slirp4netns/blob/master/slirp4netns.1.md

export const SLIRP = {
  address: "10.0.2.100",
  gateway: "10.0.2.2",
  dns: "10.0.2.3",
  prefixLen: 24,
  device: "tap0",
} as const;

/** A locally administered unicast MAC (Docker's own start with 02:42). */
export function randomMac(): string {
  const b = randomBytes(4);
  return ["02", "42", ...[...b].map((x) => x.toString(16).padStart(2, "0"))].join(":");
}

/** Docker's --mac-address check. */
export function checkMac(mac: string): string {
  if (!/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(mac)) throw new InvalidArgumentError(`${mac} is not a valid mac address`);
  if (parseInt(mac.slice(0, 2), 16) & 1) throw new InvalidArgumentError(`${mac} is a multicast address`, "give a unicast address (its first byte even), e.g. 02:42:ac:11:00:02");
  return mac.toLowerCase();
}

/** The monitor's prestart hook (native/skiff-slirp.c) for one start of the container. */
export function slirpHook(o: {
  slirp4netns: string;
  apiSocket: string;
  log: string;
  mtu: number;
  mac: string;
  allowHostLoopback: boolean;
  ports: PublishedPort[];
}): string[] {
  const argv = [join(dirname(nativeProgram("skiff-monitor")), "skiff-slirp"), "--slirp4netns", o.slirp4netns, "--api-socket", o.apiSocket, "--log", o.log];
  argv.push("--mtu", String(o.mtu), "--mac", o.mac);
  if (!o.allowHostLoopback) argv.push("--disable-host-loopback");
  for (const p of o.ports) argv.push("--publish", `${p.proto}:${p.hostIp}:${p.hostPort}:${p.containerPort}`);
  return argv;
}
