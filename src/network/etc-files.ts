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
  o: {
    hostname: string;
    domainname?: string;
    hostNetwork: boolean;
    extraHosts: string[];
    dns: string[];
    dnsSearch?: string[];
    dnsOptions?: string[];
    ownAddress?: string;
    nameservers?: string[];
    gateway?: string;
  },
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
  writeFileSync(files.resolvConf, resolvConf(readOr("/etc/resolv.conf", ""), o));
  return files;
}

/**
 * The container's resolv.conf from the host's (Docker's rules): --dns
 * replaces the nameservers, --dns-search the search domains ("." for none),
 * --dns-option the options; what is not given comes from the host. Loopback
 * resolvers of the host are unreachable from a separate network namespace.
 */
export function resolvConf(
  host: string,
  o: { hostNetwork: boolean; dns: string[]; dnsSearch?: string[]; dnsOptions?: string[]; nameservers?: string[] },
): string {
  const lines = host.split("\n").map((l) => l.trim());
  const field = (key: string) => lines.filter((l) => new RegExp(`^${key}\\s`).test(l)).map((l) => l.slice(key.length).trim());
  const hostServers = field("nameserver").filter((n) => o.hostNetwork || !/^(127\.|::1$)/.test(n));
  const servers = o.dns.length ? o.dns : [...(o.nameservers ?? []), ...hostServers];
  const search = o.dnsSearch?.length ? o.dnsSearch.filter((d) => d !== ".") : field("search").flatMap((s) => s.split(/\s+/)).concat(field("domain"));
  const options = o.dnsOptions?.length ? o.dnsOptions : field("options").flatMap((s) => s.split(/\s+/));
  let out = servers.map((n) => `nameserver ${n}\n`).join("");
  if (search.length) out += `search ${search.join(" ")}\n`;
  if (options.length) out += `options ${options.join(" ")}\n`;
  return out;
}
