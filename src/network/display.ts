// Docker's PORTS column (`docker ps`): entries sorted by container port,
// address, host port and protocol; runs of consecutive ports that are not
// remapped collapse into ranges ("8000-8001/tcp", "0.0.0.0:80-81->80-81/tcp");
// remapped ones are listed last, one each ("0.0.0.0:8080->80/tcp").
// The behaviour of docker/cli's DisplayablePorts (cli/command/formatter).

type PortMap = Record<string, { HostIp: string; HostPort: string }[] | null>;

interface PortSummary {
  ip: string;
  privatePort: number;
  publicPort: number;
  type: string;
}

const hostPort = (ip: string, port: string | number) => (ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`);

function summaries(ports: PortMap): PortSummary[] {
  const out: PortSummary[] = [];
  for (const [key, bindings] of Object.entries(ports)) {
    const [port = "", type = "tcp"] = key.split("/");
    if (!bindings?.length) out.push({ ip: "", privatePort: Number(port), publicPort: 0, type });
    else for (const b of bindings) out.push({ ip: b.HostIp || "0.0.0.0", privatePort: Number(port), publicPort: Number(b.HostPort), type });
  }
  return out.sort((a, b) => a.privatePort - b.privatePort || a.ip.localeCompare(b.ip) || a.publicPort - b.publicPort || a.type.localeCompare(b.type));
}

export function displayablePorts(ports: PortMap): string {
  const groups = new Map<string, { ip: string; type: string; first: number; last: number }>();
  const ranges: string[] = [];
  const remapped: string[] = [];
  const show = (g: { ip: string; type: string; first: number; last: number }) => {
    const span = g.first === g.last ? `${g.first}` : `${g.first}-${g.last}`;
    return `${g.ip ? `${hostPort(g.ip, span)}->${span}` : span}/${g.type}`;
  };
  for (const p of summaries(ports)) {
    if (p.ip && p.publicPort !== p.privatePort) {
      remapped.push(`${hostPort(p.ip, p.publicPort)}->${p.privatePort}/${p.type}`);
      continue;
    }
    const key = `${p.ip}/${p.type}`;
    const g = groups.get(key);
    if (g && p.privatePort === g.last + 1) g.last = p.privatePort;
    else {
      if (g) ranges.push(show(g));
      // A Map keeps its first insertion order, as Docker's list of group keys does.
      groups.set(key, { ip: p.ip, type: p.type, first: p.privatePort, last: p.privatePort });
    }
  }
  return [...ranges, ...[...groups.values()].map(show), ...remapped].join(", ");
}
