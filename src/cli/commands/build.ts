import { Option, type Command } from "commander";
import type { CliContext } from "../context.js";
import { collect } from "../options.js";

// Commands that make images from containers and Dockerfiles: commit and
// build (also as `container commit` and `image build`), with Docker's flags.

/** Docker's boolean flags that also take `=false`. */
const bool = (v: string | undefined) => v === undefined || !/^(false|0)$/i.test(v);

export function registerBuildCommands(program: Command, ctx: CliContext): void {
  const commit = (cmd: Command) =>
    cmd
      .argument("<container>")
      .argument("[repository]", "REPOSITORY[:TAG]")
      .option("-a, --author <author>", 'author (e.g., "John Hannibal Smith <hannibal@a-team.com>")')
      .option("-c, --change <instruction>", "apply Dockerfile instruction to the created image", collect, [])
      .option("-m, --message <message>", "commit message")
      .addOption(new Option("-p, --pause [bool]", "pause container during commit").default(true).argParser(bool))
      .action(async (container: string, repo: string | undefined, opts) => {
        await ctx.enterNamespace();
        const { commitCommand } = await import("../actions/build.js");
        await commitCommand(await ctx.engine(), container, repo, opts);
      });
  commit(program.command("commit").description("Create a new image from a container's changes"));
  const container = program.commands.find((c) => c.name() === "container");
  if (container) commit(container.command("commit").description("Create a new image from a container's changes"));

  const build = (cmd: Command) =>
    cmd
      .argument("<path>", "PATH | URL | -")
      .option("-t, --tag <name>", "name and optionally a tag in the 'name:tag' format", collect, [])
      .option("-f, --file <file>", "name of the Dockerfile (default: 'PATH/Dockerfile')")
      .option("--build-arg <arg>", "set build-time variables", collect, [])
      .option("--target <stage>", "set the target build stage to build")
      .option("--no-cache", "do not use cache when building the image")
      .addOption(new Option("--pull [bool]", "always attempt to pull a newer version of the image").default(false).argParser(bool))
      .option("-q, --quiet", "suppress the build output and print image ID on success")
      .option("--label <label>", "set metadata for an image", collect, [])
      .option("--iidfile <file>", "write the image ID to the file")
      .option("--network <mode>", "set the networking mode for the RUN instructions during build")
      .addOption(new Option("--rm [bool]", "remove intermediate containers after a successful build").default(true).argParser(bool))
      .option("--force-rm", "always remove intermediate containers")
      .action(async (path: string, opts) => {
        await ctx.enterNamespace();
        const { buildCommand } = await import("../actions/build.js");
        await buildCommand(await ctx.engine(), path, opts);
      });
  build(program.command("build").description("Build an image from a Dockerfile"));
  const image = program.commands.find((c) => c.name() === "image");
  if (image) build(image.command("build").description("Build an image from a Dockerfile"));
}
