import { spawnSync } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { which } from "../userns/namespace.js";

export interface NetworkFacts {
  slirp4netns?: string;
  slirpVersion?: string;
  devNetTun: "ok" | "missing" | "no-access";
  unprivilegedPortStart?: number;
}

export function probeNetwork(): NetworkFacts {
  const slirp4netns = which("slirp4netns");
  let slirpVersion: string | undefined;
  if (slirp4netns) {
    const r = spawnSync(slirp4netns, ["--version"], { encoding: "utf8" });
    slirpVersion = /slirp4netns version (\S+)/.exec(r.stdout ?? "")?.[1];
  }
  let devNetTun: NetworkFacts["devNetTun"] = "ok";
  try {
    accessSync("/dev/net/tun", constants.R_OK | constants.W_OK);
  } catch (e) {
    devNetTun = (e as NodeJS.ErrnoException).code === "ENOENT" ? "missing" : "no-access";
  }
  let unprivilegedPortStart: number | undefined;
  try {
    unprivilegedPortStart = Number(readFileSync("/proc/sys/net/ipv4/ip_unprivileged_port_start", "utf8").trim());
  } catch {
    /* not exposed on this kernel */
  }
  return { slirp4netns, slirpVersion, devNetTun, unprivilegedPortStart };
}
