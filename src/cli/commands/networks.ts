import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { collect, lazyActions } from "../options.js";

// network ls/inspect/create/rm/prune/connect/disconnect — Docker's names and
// flags. Rootless skiff has the three networks a container can be put on
// (slirp4netns, host, none); the commands that would make or change
// networks say so instead of failing as unknown commands.

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
    .option("--subnet <subnet>", "subnet in CIDR format", collect, [])
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

  for (const verb of ["connect", "disconnect"])
    network
      .command(verb)
      .description(`${verb[0]!.toUpperCase()}${verb.slice(1)} a container ${verb === "connect" ? "to" : "from"} a network`)
      .argument("<network>")
      .argument("<container>")
      .option("-f, --force", "force the container to disconnect from a network")
      .action(act("networkConnectCommand"));
}
