import { readFileSync, writeFileSync } from "node:fs";
import { hostname as osHostname } from "node:os";
import { join } from "node:path";

// The per-container /etc/hosts, /etc/hostname and /etc/resolv.conf, written
// into the container's userdata directory and bind-mounted by the runtime.

export interface EtcFiles {
  hosts: string;
  hostname: string;
  resolvConf: string;
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return fallback;
  }
}

/** "host:ip" (Docker's --add-host); "host-gateway" is resolved by the caller. */
export function extraHostLines(extra: string[], gateway?: string): string {
  return extra
    .map((e) => {
      const i = e.indexOf(":");
      const host = e.slice(0, i);
      let ip = e.slice(i + 1);
      if (ip === "host-gateway" && gateway) ip = gateway;
      return `${ip}\t${host}\n`;
    })
    .join("");
}

export function writeEtcFiles(
  userdata: string,
  o: { hostname: string; domainname?: string; hostNetwork: boolean; extraHosts: string[]; dns: string[]; ownAddress?: string; nameservers?: string[]; gateway?: string },
): EtcFiles {
  const name = o.hostname || osHostname();
  const files = { hosts: join(userdata, "hosts"), hostname: join(userdata, "hostname"), resolvConf: join(userdata, "resolv.conf") };
  let hosts: string;
  if (o.hostNetwork) hosts = readOr("/etc/hosts", "127.0.0.1\tlocalhost\n");
  else {
    // Docker's own header for a container's /etc/hosts (moby's libnetwork/etchosts).
    hosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n";
    hosts += `${o.ownAddress ?? "127.0.1.1"}\t${name}${o.domainname ? ` ${name}.${o.domainname}` : ""}\n`;
  }
  hosts += extraHostLines(o.extraHosts, o.gateway);
  writeFileSync(files.hosts, hosts);
  writeFileSync(files.hostname, `${name}\n`);
  let resolv: string;
  if (o.dns.length) resolv = o.dns.map((d) => `nameserver ${d}\n`).join("");
  else {
    const host = readOr("/etc/resolv.conf", "");
    // Loopback resolvers of the host are unreachable from a separate network namespace (Docker's rule).
    const lines = host.split("\n").filter((l) => o.hostNetwork || !/^\s*nameserver\s+(127\.|::1)/.test(l));
    resolv = (o.nameservers ?? []).map((n) => `nameserver ${n}\n`).join("") + lines.filter(Boolean).join("\n") + "\n";
  }
  writeFileSync(files.resolvConf, resolv);
  return files;
}
