import type { NetworkResource } from "../../network/resources.js";
import { ExitCode, type CliContext } from "../context.js";
import { checkFilters, parseFilterFlags } from "../../engine/filters.js";
import { confirm, printInspect, printList } from "../output.js";
import { connectNetwork, createNetwork, disconnectNetwork, inspectNetwork, listNetworks, pruneNetworks, removeNetwork } from "../../engine/networks.js";

// What the network commands print (Docker's CLI, cli/command/network): the
// arguments parsed, the engine's network service called, its data printed.

type Opts = Record<string, unknown>;

const HEADERS = { ID: "NETWORK ID", Name: "NAME", Driver: "DRIVER", Scope: "SCOPE", IPv6: "IPV6", Internal: "INTERNAL", Labels: "LABELS", CreatedAt: "CREATED AT" };

/** KEY=VALUE flags (--label, --opt) as a map; a bare KEY gets "" (Docker's rule). */
function keyValues(items: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of items ?? []) {
    const eq = i.indexOf("=");
    if (eq < 0) out[i] = "";
    else out[i.slice(0, eq)] = i.slice(eq + 1);
  }
  return out;
}

const labelText = (l: Record<string, string>) => Object.entries(l).map(([k, v]) => `${k}=${v}`).join(",");

export async function networkListCommand(ctx: CliContext, o: Opts): Promise<void> {
  const filters = checkFilters(parseFilterFlags((o.filter as string[]) ?? []), ["name", "id", "driver", "type", "scope", "label", "dangling"]);
  const engine = await ctx.engine();
  const trunc = o.trunc !== false;
  const shown = listNetworks(engine, filters);
  const id = (n: NetworkResource) => (trunc ? n.Id.slice(0, 12) : n.Id);
  if (o.quiet) {
    for (const n of shown) process.stdout.write(`${id(n)}\n`);
    return;
  }
  const rows = shown.map((n) => ({
    ID: id(n),
    Name: n.Name,
    Driver: n.Driver,
    Scope: n.Scope,
    IPv6: String(n.EnableIPv6),
    Internal: String(n.Internal),
    Labels: labelText(n.Labels),
    CreatedAt: n.Created.startsWith("0001") ? "0001-01-01 00:00:00 +0000 UTC" : new Date(n.Created).toISOString().replace("T", " ").replace(/\.\d+Z$/, " +0000 UTC"),
    Label: (k: string) => n.Labels[k] ?? "",
  }));
  printList(rows, { format: o.format as string | undefined, defaultFormat: "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}", headers: HEADERS, rowType: "formatter.networkContext" });
}

export async function networkInspectCommand(ctx: CliContext, names: string[], o: Opts): Promise<void> {
  const engine = await ctx.engine();
  const items: unknown[] = [];
  let failed = false;
  for (const input of names) {
    try {
      items.push(inspectNetwork(engine, input));
    } catch (e) {
      failed = true;
      process.stderr.write(`Error response from daemon: ${(e as Error).message}\n`);
    }
  }
  printInspect(items, o.format as string | undefined);
  if (failed) throw new ExitCode(1);
}

export async function networkCreateCommand(ctx: CliContext, name: string, o: Opts): Promise<void> {
  const engine = await ctx.engine();
  const r = await createNetwork(engine, {
    name,
    driver: o.driver as string,
    subnets: o.subnet as string[],
    gateways: o.gateway as string[],
    ipRanges: o.ipRange as string[],
    internal: Boolean(o.internal),
    labels: keyValues(o.label as string[]),
    options: keyValues(o.opt as string[]),
  });
  if (r.Warning) process.stderr.write(`WARNING: ${r.Warning}\n`);
  process.stdout.write(`${r.Id}\n`);
}

export async function networkRemoveCommand(ctx: CliContext, names: string[], o: Opts): Promise<void> {
  const engine = await ctx.engine();
  let failed = false;
  for (const input of names) {
    try {
      process.stdout.write(`${await removeNetwork(engine, input)}\n`);
    } catch (e) {
      if (o.force && /not found/.test((e as Error).message)) continue;
      process.stderr.write(`Error response from daemon: ${(e as Error).message}\n`);
      failed = true;
    }
  }
  if (failed) throw new ExitCode(1);
}

export async function networkPruneCommand(ctx: CliContext, o: Opts): Promise<void> {
  if (!o.force) {
    process.stdout.write("WARNING! This will remove all custom networks not used by at least one container.\n");
    if (!(await confirm("Are you sure you want to continue?"))) return;
  }
  const engine = await ctx.engine();
  const removed = await pruneNetworks(engine);
  if (removed.length) process.stdout.write(`Deleted Networks:\n${removed.map((n) => `${n}\n`).join("")}`);
}

export async function networkConnectCommand(ctx: CliContext, network: string, container: string, o: Opts): Promise<void> {
  const engine = await ctx.engine();
  const links = ((o.link as string[]) ?? []).map((l) => (l.includes(":") ? l : `${l}:${l}`));
  await connectNetwork(engine, network, container, { aliases: o.alias as string[], ip: o.ip as string | undefined, links });
}

export async function networkDisconnectCommand(ctx: CliContext, network: string, container: string, o: Opts): Promise<void> {
  const engine = await ctx.engine();
  await disconnectNetwork(engine, network, container, Boolean(o.force));
}
