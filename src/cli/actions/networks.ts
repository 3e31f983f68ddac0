import { createHash } from "node:crypto";
import { NotFoundError, SkiffError } from "../../errors.js";
import { parseNetworkMode } from "../../network/mode.js";
import { SLIRP } from "../../network/slirp.js";
import { ExitCode, type CliContext } from "../context.js";
import { checkFilters, parseFilterFlags } from "../../engine/filters.js";
import { confirm, printInspect, printList } from "../output.js";

// What the network commands print (Docker's CLI, cli/command/network). The
// networks are the modes a rootless container can use; their ids are stable
// (a digest of the name), so scripts that keep an id keep working.

type Opts = Record<string, unknown>;

interface Network {
  Name: string;
  Driver: string;
  subnet?: string;
  gateway?: string;
}

const NETWORKS: Network[] = [
  { Name: "slirp4netns", Driver: "slirp4netns", subnet: `${SLIRP.gateway.replace(/\.\d+$/, ".0")}/${SLIRP.prefixLen}`, gateway: SLIRP.gateway },
  { Name: "host", Driver: "host" },
  { Name: "none", Driver: "null" },
];
/** Docker's name for the default network, accepted as the default's other name. */
const ALIASES: Record<string, string> = { bridge: "slirp4netns", default: "slirp4netns" };

const idOf = (name: string) => createHash("sha256").update(`skiff network ${name}`).digest("hex");

function find(input: string): Network {
  const name = ALIASES[input] ?? input;
  const hits = NETWORKS.filter((n) => n.Name === name || (/^[0-9a-f]+$/.test(input) && idOf(n.Name).startsWith(input)));
  if (hits.length !== 1) throw new NotFoundError(`network ${input} not found`);
  return hits[0]!;
}

const HEADERS = { ID: "NETWORK ID", Name: "NAME", Driver: "DRIVER", Scope: "SCOPE", IPv6: "IPV6", Internal: "INTERNAL", Labels: "LABELS", CreatedAt: "CREATED AT" };

export async function networkListCommand(_ctx: CliContext, o: Opts): Promise<void> {
  const filters = checkFilters(parseFilterFlags((o.filter as string[]) ?? []), ["name", "id", "driver", "type", "scope", "label", "dangling"]);
  const keep = (n: Network) =>
    (!filters.has("name") || filters.get("name")!.some((v) => n.Name.includes(v))) &&
    (!filters.has("id") || filters.get("id")!.some((v) => idOf(n.Name).startsWith(v))) &&
    (!filters.has("driver") || filters.get("driver")!.includes(n.Driver)) &&
    (!filters.has("type") || filters.get("type")!.includes("builtin")) &&
    (!filters.has("scope") || filters.get("scope")!.includes("local")) &&
    !filters.has("label") &&
    (!filters.has("dangling") || filters.get("dangling")!.some((v) => ["false", "0"].includes(v)));
  const trunc = o.trunc !== false;
  const shown = NETWORKS.filter(keep);
  if (o.quiet) {
    for (const n of shown) process.stdout.write(`${trunc ? idOf(n.Name).slice(0, 12) : idOf(n.Name)}\n`);
    return;
  }
  const rows = shown.map((n) => ({
    ID: trunc ? idOf(n.Name).slice(0, 12) : idOf(n.Name),
    Name: n.Name,
    Driver: n.Driver,
    Scope: "local",
    IPv6: "false",
    Internal: "false",
    Labels: "",
    CreatedAt: "0001-01-01 00:00:00 +0000 UTC",
    Label: () => "",
  }));
  printList(rows, { format: o.format as string | undefined, defaultFormat: "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}", headers: HEADERS, rowType: "formatter.networkContext" });
}

export async function networkInspectCommand(ctx: CliContext, names: string[], o: Opts): Promise<void> {
  const items: unknown[] = [];
  let failed = false;
  let engine: Awaited<ReturnType<CliContext["engine"]>> | undefined;
  for (const input of names) {
    let n: Network;
    try {
      n = find(input);
    } catch (e) {
      failed = true;
      process.stderr.write(`Error response from daemon: ${(e as Error).message}\n`);
      continue;
    }
    engine ??= await ctx.engine();
    // Running containers on this network, with their addresses.
    const containers: Record<string, unknown> = {};
    for (const v of engine.containers.list()) {
      if (!v.state.Running) continue;
      let kind: string;
      try {
        kind = parseNetworkMode(v.record.HostConfig.NetworkMode, engine.config.defaultNetwork).kind;
      } catch {
        continue;
      }
      if (kind !== n.Name) continue;
      const address = engine.network.address(v.record);
      containers[v.record.Id] = {
        Name: v.record.Name.replace(/^\//, ""),
        EndpointID: "",
        MacAddress: "",
        IPv4Address: address ? `${address}/${SLIRP.prefixLen}` : "",
        IPv6Address: "",
      };
    }
    items.push({
      Name: n.Name,
      Id: idOf(n.Name),
      Created: "0001-01-01T00:00:00Z",
      Scope: "local",
      Driver: n.Driver,
      EnableIPv4: n.Driver === "slirp4netns",
      EnableIPv6: false,
      IPAM: { Driver: "default", Options: null, Config: n.subnet ? [{ Subnet: n.subnet, Gateway: n.gateway }] : [] },
      Internal: false,
      Attachable: false,
      Ingress: false,
      ConfigFrom: { Network: "" },
      ConfigOnly: false,
      Containers: containers,
      Options: {},
      Labels: {},
    });
  }
  printInspect(items, o.format as string | undefined);
  if (failed) throw new ExitCode(1);
}

const NO_USER_NETWORKS = "rootless skiff has no user-defined networks";
const USE_MODES = "run containers with --network slirp4netns (the default), host, none or container:<name>; containers that must talk to each other can share one's network with --network container:<name>";

export async function networkCreateCommand(_ctx: CliContext, name: string): Promise<void> {
  throw new SkiffError(`${NO_USER_NETWORKS}: cannot create network ${name}`, { code: 1, hint: USE_MODES });
}

export async function networkRemoveCommand(_ctx: CliContext, names: string[], o: Opts): Promise<void> {
  let failed = false;
  for (const input of names) {
    try {
      const n = find(input);
      process.stderr.write(`Error response from daemon: ${n.Name} is a pre-defined network and cannot be removed\n`);
      failed = true;
    } catch (e) {
      if (o.force) continue;
      process.stderr.write(`Error response from daemon: ${(e as Error).message}\n`);
      failed = true;
    }
  }
  if (failed) throw new ExitCode(1);
}

export async function networkPruneCommand(_ctx: CliContext, o: Opts): Promise<void> {
  if (!o.force) {
    process.stdout.write("WARNING! This will remove all custom networks not used by at least one container.\n");
    if (!(await confirm("Are you sure you want to continue?"))) return;
  }
  // Nothing to remove: there are no custom networks.
}

export async function networkConnectCommand(_ctx: CliContext, network: string, container: string): Promise<void> {
  find(network);
  throw new SkiffError(`${NO_USER_NETWORKS}: a container's network is chosen when it is created (${container})`, { code: 1, hint: USE_MODES });
}
