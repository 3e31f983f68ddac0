import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { nativeDir } from "../config/install.js";
import { HostSetupError, SkiffError } from "../errors.js";
import { which } from "../userns/namespace.js";
import { DEFAULT_MTU } from "./mode.js";
import { SLIRP } from "./slirp.js";

// The per-user network namespace of the user-defined networks (DESIGN.md
// §3.5): native/skiff-netns holds it, with one slirp4netns for the way out,
// a bridge per network and a name server on each gateway. This side decides
// its rules and talks to it over DIR/ctl.sock; it runs only while containers
// use it (it leaves by itself when the last one is gone).

/** Bridges of networks with a way out start with this; --internal ones with INTERNAL_PREFIX. */
export const BRIDGE_PREFIX = "skb";
export const INTERNAL_PREFIX = "ski";

/**
 * What the holder's namespace enforces, as iptables rules: bridged traffic
 * leaves through slirp4netns's tap0 with the holder's address (slirp4netns
 * answers only its own), internal networks and traffic between two bridges
 * are dropped, and a TCP connection to a gateway goes to the host's loopback
 * (slirp4netns's 10.0.2.2), as Docker's gateway is the host.
 */
export function holderRules(): string {
  return [
    "*nat",
    `-A PREROUTING -i ${BRIDGE_PREFIX}+ -m addrtype --dst-type LOCAL -p tcp ! --dport 53 -j DNAT --to-destination ${SLIRP.gateway}`,
    "-A POSTROUTING -o tap0 -j MASQUERADE",
    "COMMIT",
    "*filter",
    ":FORWARD DROP [0:0]",
    "-A FORWARD -i tap0 -j ACCEPT",
    `-A FORWARD -i ${BRIDGE_PREFIX}+ -o tap0 -j ACCEPT`,
    "COMMIT",
    "",
  ].join("\n");
}

function sbinWhich(name: string): string | undefined {
  return which(name, `${process.env.PATH ?? ""}:/usr/sbin:/sbin`);
}

export class Holder {
  readonly socket: string;
  private readonly pidFile: string;

  constructor(
    readonly dir: string,
    private readonly idleLock: string,
    private readonly nsExec: (cmd: string[]) => Promise<{ code: number; stdout: string; stderr: string }>,
  ) {
    this.socket = join(dir, "ctl.sock");
    this.pidFile = join(dir, "holder.pid");
  }

  /** "PID STARTTIME" of the live holder, or undefined. */
  instance(): string | undefined {
    try {
      const [pid, start] = readFileSync(this.pidFile, "utf8").trim().split(/\s+/);
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return fields[0] !== "Z" && fields[19] === start ? `${pid} ${start}` : undefined;
    } catch {
      return undefined;
    }
  }

  pid(): number | undefined {
    const i = this.instance();
    return i ? Number(i.split(" ")[0]) : undefined;
  }

  /** The live holder, started when there is none. The caller holds the idle lock (shared). */
  async ensure(): Promise<string> {
    const live = this.instance();
    if (live) return live;
    const slirp4netns = which("slirp4netns");
    if (!slirp4netns) throw new HostSetupError("slirp4netns not found: it gives user-defined networks their way out", "sudo apt-get install slirp4netns");
    const iptables = sbinWhich("iptables-restore");
    if (!iptables) throw new HostSetupError("iptables not found: user-defined networks need it for their NAT and isolation", "sudo apt-get install iptables");
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const argv = [join(nativeDir, "skiff-netns"), "start", "--dir", this.dir, "--slirp4netns", slirp4netns, "--iptables-restore", iptables, "--idle-lock", this.idleLock];
    argv.push("--mtu", String(DEFAULT_MTU), "--sysctl", "net.ipv4.ip_forward=1");
    // With br_netfilter, bridged frames would cross the FORWARD chain and be
    // dropped there: traffic within one network is the bridge's alone.
    if (existsSync("/proc/sys/net/bridge/bridge-nf-call-iptables")) argv.push("--sysctl", "net.bridge.bridge-nf-call-iptables=0");
    argv.push("--rules", holderRules());
    const r = await this.nsExec(argv);
    const line = r.stdout.split("\n").find((l) => l.startsWith("ok "));
    if (r.code !== 0 || !line)
      throw new SkiffError(`cannot set up the user-defined networks' namespace: ${(r.stderr.trim() || r.stdout.trim()).split("\n").pop()}`, {
        hint: "skiff info shows what this host is missing (slirp4netns, /dev/net/tun, iptables)",
      });
    return line.slice(3).trim();
  }

  /** Send request lines; each must be answered "ok". */
  request(lines: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = connect(this.socket);
      let buf = "";
      let answered = 0;
      const fail = (msg: string) => {
        s.destroy();
        reject(new SkiffError(msg, { hint: "skiff restart the container; if it repeats, see the holder's log in " + join(this.dir, "holder.log") }));
      };
      s.on("error", (e) => fail(`cannot reach the network namespace holder: ${e.message}`));
      s.on("data", (d: Buffer) => {
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const ans = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (ans !== "ok") return fail(ans.replace(/^error /, ""));
          if (++answered === lines.length) {
            s.end();
            resolve();
          }
        }
      });
      s.on("close", () => {
        if (answered < lines.length) fail("the network namespace holder closed the connection");
      });
      if (!lines.length) {
        s.end();
        resolve();
        return;
      }
      s.write(lines.map((l) => `${l}\n`).join(""));
    });
  }

  /** The prestart hook that sends `lines` with the container's pid, then runs `next`. */
  hook(lines: string[], next: string[] = []): string[] {
    return [join(nativeDir, "skiff-netns"), "request", "--socket", this.socket, ...lines, ...(next.length ? ["--", ...next] : [])];
  }
}

/** skiff-portfwd's argv: the tcp ports of a container on a user network. */
export function portForwarderArgv(address: string, ports: { hostIp: string; hostPort: number; containerPort: number }[]): string[] {
  const argv = [join(nativeDir, "skiff-portfwd"), "--to", address];
  for (const p of ports) argv.push("--publish", `tcp:${p.hostIp}:${p.hostPort}:${p.containerPort}`);
  return argv;
}
