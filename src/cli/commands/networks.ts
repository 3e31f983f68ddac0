import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { collect, lazyActions } from "../options.js";

// network ls/inspect/create/rm/prune/connect/disconnect — Docker's names and
// flags: the built-in networks (slirp4netns, host, none) and user-defined
// bridge networks in skiff's per-user network namespace.

export function registerNetworkCommands(program: Command, ctx: CliContext): void {
  const network = program.command("network").description("Manage networks");
  const act = lazyActions(ctx, () => import("../actions/networks.js"));

  network
    .command("ls")
    .alias("list")
    .description("List networks")
    .option("-f, --filter <filter>", "provide filter values (e.g. 'driver=bridge')", collect, [])
    .option("--format <format>", "format output using a Go template, 'table', 'table TEMPLATE' or 'json'")
    .option("--no-trunc", "do not truncate the output")
    .option("-q, --quiet", "only display network IDs")
    .action(act("networkListCommand"));

  network
    .command("inspect")
    .description("Display detailed information on one or more networks")
    .argument("<network...>")
    .option("-f, --format <format>", "format output using a Go template or 'json'")
    .option("-v, --verbose", "verbose output for diagnostics")
    .action(act("networkInspectCommand"));

  network
    .command("create")
    .description("Create a network")
    .argument("<network>")
    .option("-d, --driver <driver>", "driver to manage the network", "bridge")
    .option("--subnet <subnet>", "subnet in CIDR format that represents a network segment", collect, [])
    .option("--gateway <ip>", "IPv4 gateway for the master subnet", collect, [])
    .option("--ip-range <range>", "allocate container ip from a sub-range", collect, [])
    .option("--internal", "restrict external access to the network")
    .option("--attachable", "enable manual container attachment (always on)")
    .option("--label <label>", "set metadata on a network", collect, [])
    .option("-o, --opt <option>", "set driver specific options", collect, [])
    .action(act("networkCreateCommand"));

  network
    .command("rm")
    .alias("remove")
    .description("Remove one or more networks")
    .argument("<network...>")
    .option("-f, --force", "do not error if the network does not exist")
    .action(act("networkRemoveCommand"));

  network
    .command("prune")
    .description("Remove all unused networks")
    .option("-f, --force", "do not prompt for confirmation")
    .option("--filter <filter>", "provide filter values (e.g. 'until=<timestamp>')", collect, [])
    .action(act("networkPruneCommand"));

  network
    .command("connect")
    .description("Connect a container to a network")
    .argument("<network>")
    .argument("<container>")
    .option("--alias <alias>", "add network-scoped alias for the container", collect, [])
    .option("--ip <address>", "IPv4 address (e.g., 172.30.100.104)")
    .option("--link <container>", "add link to another container", collect, [])
    .action(act("networkConnectCommand"));

  network
    .command("disconnect")
    .description("Disconnect a container from a network")
    .argument("<network>")
    .argument("<container>")
    .option("-f, --force", "force the container to disconnect from a network")
    .action(act("networkDisconnectCommand"));
}
