import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { collect, lazyActions } from "../options.js";

// volume create/ls/inspect/rm/prune — Docker's names, flags and output.
// Parsing only: ../actions/volumes.ts prints, the engine's VolumeService works.

export function registerVolumeCommands(program: Command, ctx: CliContext): void {
  const volume = program.command("volume").description("Manage volumes");
  const act = lazyActions(ctx, () => import("../actions/volumes.js"));

  volume
    .command("create")
    .description("Create a volume")
    .argument("[volume]")
    .option("-d, --driver <driver>", "specify volume driver name", "local")
    .option("--label <label>", "set metadata for a volume", collect, [])
    .option("-o, --opt <option>", "set driver specific options", collect, [])
    .option("--name <name>", "specify volume name")
    .action(act("volumeCreateCommand"));

  volume
    .command("ls")
    .alias("list")
    .description("List volumes")
    .option("-f, --filter <filter>", "provide filter values (e.g. 'dangling=true')", collect, [])
    .option("--format <format>", "format output using a Go template, 'table', 'table TEMPLATE' or 'json'")
    .option("-q, --quiet", "only display volume names")
    .action(act("volumeListCommand"));

  volume
    .command("inspect")
    .description("Display detailed information on one or more volumes")
    .argument("<volume...>")
    .option("-f, --format <format>", "format output using a Go template or 'json'")
    .action(act("volumeInspectCommand"));

  volume
    .command("rm")
    .alias("remove")
    .description("Remove one or more volumes")
    .argument("<volume...>")
    .option("-f, --force", "force the removal of one or more volumes")
    .action(act("volumeRemoveCommand"));

  volume
    .command("prune")
    .description("Remove unused local volumes")
    .option("-a, --all", "remove all unused volumes, not just anonymous ones")
    .option("-f, --force", "do not prompt for confirmation")
    .option("--filter <filter>", "provide filter values (e.g. 'label=<label>')", collect, [])
    .action(act("volumePruneCommand"));
}
