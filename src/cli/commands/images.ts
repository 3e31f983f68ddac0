import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { collect } from "../options.js";

// images, image ls/inspect/history/tag/rm/prune, rmi, tag, history, save,
// load, import — Docker's names, flags and output.

export function registerImageCommands(program: Command, ctx: CliContext): void {
  const image = program.command("image").description("Manage images");

  const ls = (cmd: Command) =>
    cmd
      .argument("[repository]", "REPOSITORY[:TAG] to list")
      .option("-a, --all", "show all images (default hides intermediate images)")
      .option("--digests", "show digests")
      .option("-f, --filter <filter>", "filter output based on conditions provided", collect, [])
      .option("--format <format>", "format output using a Go template, 'table', 'table TEMPLATE' or 'json'")
      .option("--no-trunc", "don't truncate output")
      .option("-q, --quiet", "only show image IDs")
      .action(async (repo: string | undefined, opts) => {
        const { listImages } = await import("../actions/images.js");
        listImages(await ctx.engine(), repo, opts);
      });
  ls(program.command("images").description("List images"));
  ls(image.command("ls").alias("list").description("List images"));

  const inspect = (cmd: Command) =>
    cmd
      .argument("<image...>")
      .option("-f, --format <format>", "format output using a Go template or 'json'")
      .action(async (names: string[], opts: { format?: string }) => {
        const { inspectImages } = await import("../actions/images.js");
        await inspectImages(ctx, names, opts.format);
      });
  inspect(image.command("inspect").description("Display detailed information on one or more images"));

  const history = (cmd: Command) =>
    cmd
      .argument("<image>")
      .option("-H, --human", "print sizes and dates in human readable format", true)
      .option("--no-human", "print raw sizes and dates")
      .option("--no-trunc", "don't truncate output")
      .option("-q, --quiet", "only show image IDs")
      .option("--format <format>", "format output using a Go template, 'table' or 'json'")
      .action(async (name: string, opts) => {
        const { showHistory } = await import("../actions/images.js");
        showHistory(await ctx.engine(), name, opts);
      });
  history(program.command("history").description("Show the history of an image"));
  history(image.command("history").description("Show the history of an image"));

  const tag = (cmd: Command) =>
    cmd
      .argument("<source>", "SOURCE_IMAGE[:TAG]")
      .argument("<target>", "TARGET_IMAGE[:TAG]")
      .action(async (source: string, target: string) => {
        const { tagImage } = await import("../../engine/images.js");
        await tagImage(await ctx.engine(), source, target);
      });
  tag(program.command("tag").description("Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE"));
  tag(image.command("tag").description("Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE"));

  const rm = (cmd: Command) =>
    cmd
      .argument("<image...>")
      .option("-f, --force", "force removal of the image")
      .option("--no-prune", "do not delete untagged parents")
      .action(async (names: string[], opts: { force?: boolean; prune?: boolean }) => {
        await ctx.enterNamespace();
        const { removeImages } = await import("../actions/images.js");
        ctx.exitCode = await removeImages(await ctx.engine(), names, opts);
      });
  rm(program.command("rmi").description("Remove one or more images"));
  rm(image.command("rm").alias("remove").description("Remove one or more images"));

  image
    .command("prune")
    .description("Remove unused images")
    .option("-a, --all", "remove all unused images, not just dangling ones")
    .option("-f, --force", "do not prompt for confirmation")
    .option("--filter <filter>", "provide filter values (e.g. 'until=<timestamp>')", collect, [])
    .action(async (opts: { all?: boolean; force?: boolean; filter: string[] }) => {
      await ctx.enterNamespace();
      const { pruneImages } = await import("../actions/images.js");
      await pruneImages(await ctx.engine(), opts);
    });

  image
    .command("mount")
    .description("Mount an image's root filesystem read-only and print its path (run inside `skiff unshare`)")
    .argument("[image...]")
    .option("--format <format>", "'json' to list mounts as JSON")
    .action(async (names: string[], opts: { format?: string }) => {
      const engine = await ctx.engine();
      const { mountedImages, mountImage } = await import("../../engine/image-mount.js");
      if (names.length === 0) {
        const list = mountedImages(engine);
        if (opts.format === "json") process.stdout.write(`${JSON.stringify(list.map((m) => ({ id: m.id.slice(7), mountpoint: m.path })))}\n`);
        else for (const m of list) process.stdout.write(`${m.id.slice(7, 19)} ${m.path}\n`);
        return;
      }
      for (const n of names) process.stdout.write(`${await mountImage(engine, n)}\n`);
    });

  image
    .command("unmount")
    .alias("umount")
    .description("Unmount an image's root filesystem")
    .argument("<image...>")
    .action(async (names: string[]) => {
      const engine = await ctx.engine();
      const { unmountImage } = await import("../../engine/image-mount.js");
      for (const n of names) process.stdout.write(`${(await unmountImage(engine, n)).slice(7)}\n`);
    });

  const save = (cmd: Command) =>
    cmd
      .argument("<image...>")
      .option("-o, --output <file>", "write to a file, instead of STDOUT")
      .option("--format <format>", "archive format: docker-archive, oci-archive or oci-dir", "docker-archive")
      .action(async (names: string[], opts: { output?: string; format: string }) => {
        await ctx.enterNamespace();
        const { saveCommand } = await import("../actions/transfer.js");
        await saveCommand(await ctx.engine(), names, opts);
      });
  save(program.command("save").description("Save one or more images to a tar archive (streamed to STDOUT by default)"));
  save(image.command("save").description("Save one or more images to a tar archive (streamed to STDOUT by default)"));

  const load = (cmd: Command) =>
    cmd
      .option("-i, --input <file>", "read from tar archive file, instead of STDIN")
      .option("-q, --quiet", "suppress the load output")
      .option("--platform <platform>", "load only the given platform of a multi-platform archive")
      .action(async (opts: { input?: string; quiet?: boolean; platform?: string }) => {
        await ctx.enterNamespace();
        const { loadCommand } = await import("../actions/transfer.js");
        await loadCommand(await ctx.engine(), opts);
      });
  load(program.command("load").description("Load an image from a tar archive or STDIN"));
  load(image.command("load").description("Load an image from a tar archive or STDIN"));

  const imp = (cmd: Command) =>
    cmd
      .argument("<file>", "file|URL|- to import")
      .argument("[repository]", "REPOSITORY[:TAG]")
      .option("-c, --change <instruction>", "apply Dockerfile instruction to the created image", collect, [])
      .option("-m, --message <message>", "set commit message for imported image")
      .option("--platform <platform>", "set platform if server is multi-platform capable")
      .action(async (file: string, repo: string | undefined, opts: { change: string[]; message?: string; platform?: string }) => {
        await ctx.enterNamespace();
        const { importCommand } = await import("../actions/transfer.js");
        await importCommand(await ctx.engine(), file, repo, opts);
      });
  imp(program.command("import").description("Import the contents from a tarball to create a filesystem image"));
  imp(image.command("import").description("Import the contents from a tarball to create a filesystem image"));
}
