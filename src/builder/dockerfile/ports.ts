import { SyntaxProblem } from "./errors.js";

// EXPOSE values as the image config keys them: "80/tcp". A range exposes
// every port in it; the protocol defaults to tcp and is lower-cased. An
// address or host port in front (`127.0.0.1:8080:80`) is accepted and
// dropped, as BuildKit still does (it warns that EXPOSE does not publish).
// https://docs.docker.com/reference/dockerfile/#expose

function portNumber(text: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw new Error();
  const n = Number(text);
  if (n < 0 || n > 65535) throw new Error();
  return n;
}

function portRange(text: string): [number, number] {
  const dash = text.indexOf("-");
  const start = portNumber(dash < 0 ? text : text.slice(0, dash));
  if (dash < 0 || text.slice(0, dash) === text.slice(dash + 1)) return [start, start];
  const end = portNumber(text.slice(dash + 1));
  if (end < start) throw new Error();
  return [start, end];
}

/** Expand expanded EXPOSE words to "port/proto" keys. */
export function exposedPorts(words: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of words) {
    const parts = raw.split(":");
    const container = parts.at(-1)!;
    const host = parts.length > 1 ? parts.at(-2)! : "";
    const slash = container.indexOf("/");
    const port = slash < 0 ? container : container.slice(0, slash);
    const proto = (slash < 0 ? "tcp" : container.slice(slash + 1) || "tcp").toLowerCase();
    if (port === "") throw new SyntaxProblem(`invalid port: ${JSON.stringify(raw)}: no port specified`);
    if (!["tcp", "udp", "sctp"].includes(proto)) throw new SyntaxProblem(`invalid port: ${JSON.stringify(raw)}: invalid proto: ${container.slice(slash + 1)}`);
    let range: [number, number];
    try {
      range = portRange(port);
    } catch {
      throw new SyntaxProblem(`invalid containerPort: ${port}`);
    }
    if (host !== "") {
      try {
        portRange(host);
      } catch {
        throw new SyntaxProblem(`invalid hostPort: ${host}`);
      }
    }
    for (let p = range[0]; p <= range[1]; p++) out.push(`${p}/${proto}`);
  }
  return out;
}
