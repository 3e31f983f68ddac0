import type { Command } from "commander";
import { ExitCode, type CliContext } from "../context.js";

// info, version, unshare, and the `system` group.

export function registerSystemCommands(program: Command, ctx: CliContext): void {
  program
    .command("info")
    .description("Display system-wide information")
    .option("-f, --format <format>", "format the output using a Go template, or 'json'")
    .action(async (opts: { format?: string }) => {
      const engine = await ctx.engine();
      const { collectHostInfo } = await import("../../engine/info.js");
      const { VERSION } = await import("../main.js");
      const info = await collectHostInfo(engine, VERSION);
      if (opts.format) {
        const { printFormatted } = await import("../output.js");
        printFormatted([info], opts.format);
        return;
      }
      const { renderInfo } = await import("../render/info.js");
      process.stdout.write(renderInfo(info));
    });

  program
    .command("version")
    .description("Show the skiff version information")
    .option("-f, --format <format>", "format the output using a Go template, or 'json'")
    .action(async (opts: { format?: string }) => {
      const { VERSION } = await import("../main.js");
      const { release } = await import("node:os");
      const v = {
        Client: { Version: VERSION, ApiVersion: "1.43", Os: "linux", Arch: process.arch === "x64" ? "amd64" : process.arch, NodeVersion: process.version },
        Server: { Engine: { Version: VERSION, KernelVersion: release(), Rootless: process.getuid?.() !== 0 } },
      };
      if (opts.format) {
        const { printFormatted } = await import("../output.js");
        printFormatted([v], opts.format);
        return;
      }
      process.stdout.write(
        `Client:\n Version:           ${VERSION}\n API version:       1.43\n Node.js version:   ${process.version}\n OS/Arch:           linux/${v.Client.Arch}\n\n` +
          `Server: skiff (daemonless, rootless)\n Engine:\n  Version:          ${VERSION}\n  Kernel Version:   ${release()}\n`,
      );
    });

  program
    .command("unshare")
    .description("Run a command (default: your shell) in skiff's user namespace, as uid 0 there")
    .argument("[command...]", "command and arguments")
    .passThroughOptions()
    .allowUnknownOption()
    .action(async (command: string[]) => {
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
