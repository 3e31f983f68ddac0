import type { Command } from "commander";
import { ExitCode, type CliContext } from "../context.js";
import { collect, lazyActions } from "../options.js";
import { VERSION } from "../../version.js";

// info, version, unshare, events, and the `system` group.

/** `events` and `system events`: Docker's flags. */
function eventsFlags(cmd: Command, ctx: CliContext): Command {
  return cmd
    .description("Get real time events from the server")
    .option("-f, --filter <filter>", "filter output based on conditions provided", collect, [])
    .option("--format <format>", "format output using a custom template: 'json' or a Go template")
    .option("--since <time>", "show all events created since timestamp")
    .option("--until <time>", "stream events until this timestamp")
    .action(lazyActions(ctx, () => import("../actions/events.js"))("eventsCommand"));
}

export function registerSystemCommands(program: Command, ctx: CliContext): void {
  program
    .command("info")
    .description("Display system-wide information")
    .option("-f, --format <format>", "format the output using a Go template, or 'json'")
    .action((opts: { format?: string }) => infoAction(ctx, opts));

  program
    .command("version")
    .description("Show the skiff version information")
    .option("-f, --format <format>", "format the output using a Go template, or 'json'")
    .action(async (opts: { format?: string }) => {
      const { versionInfo } = await import("../../engine/version.js");
      const v = versionInfo();
      const client = { Version: v.Version, ApiVersion: v.ApiVersion, Os: v.Os, Arch: v.Arch, GoVersion: v.GoVersion };
      if (opts.format) {
        const { printFormatted } = await import("../output.js");
        printFormatted([{ Client: client, Server: v }], opts.format);
        return;
      }
      process.stdout.write(
        `Client:\n Version:           ${v.Version}\n API version:       ${v.ApiVersion}\n Node.js version:   ${process.version}\n OS/Arch:           ${v.Os}/${v.Arch}\n\n` +
          `Server: skiff (daemonless, rootless)\n Engine:\n  Version:          ${v.Version}\n  API version:      ${v.ApiVersion} (minimum version ${v.MinAPIVersion})\n  Kernel Version:   ${v.KernelVersion}\n`,
      );
    });

  eventsFlags(program.command("events"), ctx);

  program
    .command("unshare")
    .description("Run a command (default: your shell) in skiff's user namespace, as uid 0 there")
    .argument("[command...]", "command and arguments")
    .passThroughOptions()
    .allowUnknownOption()
    .action(async (command: string[]) => {
      ctx.errorExitCode = 125;
      const engine = await ctx.engine();
      const cmd = command.length ? command : [process.env.SHELL || "/bin/sh"];
      const code = await engine.userns.run(cmd, {
        env: {
          ...process.env,
          SKIFF_IN_NS: "1",
          SKIFF_STORAGE_ROOT: engine.config.paths.storageRoot,
          SKIFF_RUNROOT: engine.runRoot,
        },
      });
      throw new ExitCode(code);
    });
}

export function registerSystemGroup(program: Command, ctx: CliContext): void {
  const system = program.command("system").description("Manage skiff");

  system
    .command("check")
    .description("Verify the store: every blob's digest, every layer and image; --repair removes what is broken")
    .option("--repair", "remove broken images, layers and blobs, and leftovers of interrupted commands")
    .option("--quick", "skip re-hashing blobs")
    .action(async (opts: { repair?: boolean; quick?: boolean }) => {
      if (opts.repair) await ctx.enterNamespace();
      const { systemCheck } = await import("../actions/system.js");
      ctx.exitCode = await systemCheck(await ctx.engine(), opts);
    });

  system
    .command("df")
    .description("Show skiff disk usage")
    .option("-v, --verbose", "show detailed information on space usage")
    .option("--format <format>", "format output using a Go template or 'json'")
    .action(async (opts: { verbose?: boolean; format?: string }) => {
      const { systemDf } = await import("../actions/system.js");
      await systemDf(await ctx.engine(), opts);
    });

  system
    .command("prune")
    .description("Remove unused data")
    .option("-a, --all", "remove all unused images not just dangling ones")
    .option("-f, --force", "do not prompt for confirmation")
    .option("--volumes", "prune anonymous volumes")
    .option("--filter <filter>", "provide filter values (e.g. 'label=<key>=<value>')", collect, [])
    .action(async (opts: { all?: boolean; force?: boolean; volumes?: boolean }) => {
      await ctx.enterNamespace();
      const { systemPrune } = await import("../actions/system.js");
      await systemPrune(await ctx.engine(), opts);
    });

  eventsFlags(system.command("events"), ctx);

  system
    .command("service")
    .description("Serve the Docker Engine API on a socket (default unix://$XDG_RUNTIME_DIR/skiff/skiff.sock)")
    .argument("[URI]", "where to listen: unix:///path/to.sock, or tcp://HOST:PORT (no TLS: loopback unless you name a host)")
    .option("-t, --time <seconds>", "stop after this many seconds without requests (0: never)", "5")
    .option("--install", "write systemd user units that start the service on the first connection")
    .action(async (uri: string | undefined, opts: { time: string; install?: boolean }) => {
      const { systemService } = await import("../actions/service.js");
      await systemService(ctx, uri, opts);
    });

  system
    .command("migrate")
    .description("Stop the pause process that holds skiff's user namespace (it is recreated on next use)")
    .action(async () => {
      const { migrate } = await import("../../engine/system.js");
      migrate(await ctx.engine());
    });

  system
    .command("info")
    .description("Display system-wide information")
    .option("-f, --format <format>", "format the output using a Go template, or 'json'")
    .action((opts: { format?: string }) => infoAction(ctx, opts));
}

async function infoAction(ctx: CliContext, opts: { format?: string }): Promise<void> {
  const engine = await ctx.engine();
  const { collectHostInfo } = await import("../../engine/info.js");
  const info = await collectHostInfo(engine, VERSION);
  if (opts.format) {
    const { printFormatted } = await import("../output.js");
    printFormatted([info], opts.format);
    return;
  }
  const { renderInfo } = await import("../render/info.js");
  process.stdout.write(renderInfo(info));
}
