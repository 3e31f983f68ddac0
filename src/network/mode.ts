import { InvalidArgumentError, NotFoundError } from "../errors.js";

// What `--network` asks for, of the built-in networks (user-defined ones are
// the service's to find). Rootless, the default network (Docker's
// "default"/"bridge") is slirp4netns, as in Podman, and its
// options use Podman's spelling (`slirp4netns:allow_host_loopback=false,mtu=1500`).
// https://docs.podman.io/en/latest/markdown/podman-run.1.html#network-mode-net

export type NetworkMode =
  | { kind: "slirp4netns"; allowHostLoopback: boolean; mtu: number }
  | { kind: "host" }
  | { kind: "none" }
  | { kind: "container"; ref: string };

/**
 * skiff lets the container reach the host's loopback through the gateway
 * (10.0.2.2) by default — unlike Podman's default, like Docker's
 * `host-gateway`: a container talking to a development server on the host is
 * the common case, and the host's loopback services are the user's own.
 * `slirp4netns:allow_host_loopback=false` turns it off.
 */
export const ALLOW_HOST_LOOPBACK_DEFAULT = true;

/** slirp4netns's largest MTU; the bigger the frames, the faster the copy through slirp. */
export const DEFAULT_MTU = 65520;

function slirpOptions(opts: string): NetworkMode {
  let allowHostLoopback = ALLOW_HOST_LOOPBACK_DEFAULT;
  let mtu = DEFAULT_MTU;
  for (const o of opts ? opts.split(",") : []) {
    const [k = "", v = ""] = o.split("=", 2);
    const bool = () => {
      if (v !== "true" && v !== "false") throw new InvalidArgumentError(`slirp4netns option ${k} needs true or false, not "${v}"`);
      return v === "true";
    };
    if (k === "allow_host_loopback") allowHostLoopback = bool();
    else if (k === "mtu") {
      mtu = Number(v);
      if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65521) throw new InvalidArgumentError(`invalid slirp4netns mtu: ${v}`, "give an MTU between 68 and 65521");
    } else if (k === "port_handler") {
      if (v !== "slirp4netns") throw new InvalidArgumentError(`slirp4netns port_handler ${v} is not supported`, "skiff publishes ports through slirp4netns itself: drop port_handler");
    } else
      throw new InvalidArgumentError(`unknown slirp4netns option: ${o}`, "skiff knows allow_host_loopback=true|false, mtu=N and port_handler=slirp4netns");
  }
  return { kind: "slirp4netns", allowHostLoopback, mtu };
}

/** HostConfig.NetworkMode ("default" when none was given) → the mode to set up. */
export function parseNetworkMode(mode: string, defaultNetwork = "slirp4netns"): NetworkMode {
  const m = mode === "default" || mode === "" ? defaultNetwork : mode;
  if (m === "host") return { kind: "host" };
  if (m === "none") return { kind: "none" };
  if (m === "bridge" || m === "slirp4netns" || m === "default") return slirpOptions("");
  if (m.startsWith("slirp4netns:")) return slirpOptions(m.slice("slirp4netns:".length));
  if (m.startsWith("container:")) {
    const ref = m.slice("container:".length);
    if (!ref) throw new InvalidArgumentError("invalid container format container:<name|id>");
    return { kind: "container", ref };
  }
  throw new NotFoundError(`network ${m} not found`, "skiff network ls lists the networks; skiff network create makes one");
}

/**
 * Docker's refusals for options that mean nothing in a borrowed or the
 * host's network (moby's daemon/container_operations.go and runconfig checks).
 */
export function conflictingOptions(
  mode: NetworkMode,
  o: { publish: boolean; dns: boolean; extraHosts: boolean; mac: boolean },
): string | undefined {
  if (mode.kind === "container") {
    if (o.publish) return "conflicting options: port publishing and the container type network mode";
    if (o.dns) return "conflicting options: dns and the network mode";
    if (o.extraHosts) return "conflicting options: custom host-to-IP mapping and the network mode";
    if (o.mac) return "conflicting options: mac-address and the network mode";
  }
  if (mode.kind === "host" && o.mac) return "conflicting options: mac-address and the network mode";
  return undefined;
}
