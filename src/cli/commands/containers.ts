import { Option, type Command } from "commander";
import type { CliContext } from "../context.js";
import { collect, lazyActions } from "../options.js";

// Container commands, with Docker's flags. Parsing only: the actions live in
// ../actions/containers.ts and the work in the engine's container service.

/** Flags shared by `create` and `run` (docker's container.Config/HostConfig flags). */
function createFlags(cmd: Command): Command {
  return cmd
    .argument("<image>")
    .argument("[command...]")
    .passThroughOptions()
    // -h is --hostname here, as in Docker.
    .helpOption("--help", "display help for command")
    .option("--name <name>", "assign a name to the container")
    .option("-e, --env <env>", "set environment variables", collect, [])
    .option("--env-file <file>", "read in a file of environment variables", collect, [])
    .option("-w, --workdir <dir>", "working directory inside the container")
    .option("-u, --user <user>", "username or UID (format: <name|uid>[:<group|gid>])")
    .option("--group-add <group>", "add additional groups to join", collect, [])
    .option("--entrypoint <cmd>", "overwrite the default ENTRYPOINT of the image")
    .option("-h, --hostname <name>", "container host name")
    .option("--domainname <name>", "container NIS domain name")
    .option("--read-only", "mount the container's root filesystem as read only")
    .option("--tmpfs <mount>", "mount a tmpfs directory", collect, [])
    .option("--ulimit <ulimit>", "ulimit options", collect, [])
    .option("--init", "run an init inside the container that forwards signals and reaps processes")
    .option("--stop-signal <signal>", "signal to stop the container")
    .option("--stop-timeout <seconds>", "timeout (in seconds) to stop a container", (v) => parseInt(v, 10))
    .option("-l, --label <label>", "set meta data on a container", collect, [])
    .option("--label-file <file>", "read in a line delimited file of labels", collect, [])
    .option("--restart <policy>", "restart policy to apply when a container exits", "no")
    .option("-m, --memory <bytes>", "memory limit")
    .option("--cpus <number>", "number of CPUs")
    .option("--pids-limit <n>", "tune container pids limit (set -1 for unlimited)")
    .option("-i, --interactive", "keep STDIN open even if not attached")
    .option("-t, --tty", "allocate a pseudo-TTY")
    .option("--rm", "automatically remove the container and its associated anonymous volumes when it exits")
    .option("-v, --volume <volume>", "bind mount a volume", collect, [])
    .option("--mount <mount>", "attach a filesystem mount to the container", collect, [])
    .option("--volumes-from <container>", "mount volumes from the specified container(s)", collect, [])
    .option("--network <network>", "connect a container to a network (several times for several networks)", collect, [])
    .addOption(new Option("--net <network>").hideHelp().argParser(collect).default([]))
    .option("--network-alias <alias>", "add network-scoped alias for the container", collect, [])
    .addOption(new Option("--net-alias <alias>").hideHelp().argParser(collect).default([]))
    .option("--ip <address>", "IPv4 address (e.g., 172.30.100.104)")
    .option("--link <container>", "add link to another container", collect, [])
    .option("-p, --publish <port>", "publish a container's port(s) to the host", collect, [])
    .option("-P, --publish-all", "publish all exposed ports to random ports")
    .option("--expose <port>", "expose a port or a range of ports", collect, [])
    .option("--dns <ip>", "set custom DNS servers", collect, [])
    .option("--dns-search <domain>", "set custom DNS search domains", collect, [])
    .option("--dns-option <option>", "set DNS options", collect, [])
    .addOption(new Option("--dns-opt <option>").hideHelp().argParser(collect).default([]))
    .option("--add-host <host:ip>", "add a custom host-to-IP mapping (host:ip)", collect, [])
    .option("--mac-address <mac>", "container MAC address (e.g., 92:d0:c6:0a:29:33)")
    .option("--cap-add <cap>", "add Linux capabilities", collect, [])
    .option("--cap-drop <cap>", "drop Linux capabilities", collect, [])
    .option("--privileged", "give extended privileges to this container")
    .option("--health-cmd <command>", "command to run to check health")
    .option("--health-interval <duration>", "time between running the check (ms|s|m|h) (default 0s)")
    .option("--health-timeout <duration>", "maximum time to allow one check to run (ms|s|m|h) (default 0s)")
    .option("--health-retries <n>", "consecutive failures needed to report unhealthy")
    .option("--health-start-period <duration>", "start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)")
    .option("--health-start-interval <duration>", "time between running the check during the start period (ms|s|m|h) (default 0s)")
    .option("--no-healthcheck", "disable any container-specified HEALTHCHECK")
    .option("--platform <platform>", "set platform if server is multi-platform capable")
    .option("--pull <policy>", 'pull image before running ("always", "missing", "never")', "missing")
    .option("--cidfile <file>", "write the container ID to the file")
    .option("-q, --quiet", "suppress the pull output");
}

export function registerContainerCommands(program: Command, ctx: CliContext): void {
  const container = program.command("container").description("Manage containers");
  const both = (name: string, description: string, build: (c: Command) => Command, alias?: string) => {
    build(program.command(name).description(description));
    const sub = container.command(name).description(description);
    if (alias) sub.alias(alias);
    build(sub);
  };
  const act = lazyActions(ctx, () => import("../actions/containers.js"));

  both("create", "Create a new container", (c) => createFlags(c).action(act("createCommand")));
  both("run", "Create and run a new container from an image", (c) =>
    createFlags(c)
      .option("-d, --detach", "run container in background and print container ID")
      .option("-a, --attach <stream>", "attach to STDIN, STDOUT or STDERR", collect, [])
      .option("--detach-keys <keys>", "override the key sequence for detaching a container")
      .option("--sig-proxy", "proxy received signals to the process", true)
      .option("--no-sig-proxy", "do not proxy signals")
      .action(act("runCommand")),
  );
  both("start", "Start one or more stopped containers", (c) =>
    c
      .argument("<container...>")
      .option("-a, --attach", "attach STDOUT/STDERR and forward signals")
      .option("-i, --interactive", "attach container's STDIN")
      .option("--detach-keys <keys>", "override the key sequence for detaching a container")
      .action(act("startCommand")),
  );
  both("stop", "Stop one or more running containers", (c) =>
    c
      .argument("<container...>")
      .option("-t, --time <seconds>", "seconds to wait before killing the container", (v) => parseInt(v, 10))
      .option("-s, --signal <signal>", "signal to send to the container")
      .action(act("stopCommand")),
  );
  both("restart", "Restart one or more containers", (c) =>
    c
      .argument("<container...>")
      .option("-t, --time <seconds>", "seconds to wait before killing the container", (v) => parseInt(v, 10))
      .option("-s, --signal <signal>", "signal to send to the container")
      .action(act("restartCommand")),
  );
  both("kill", "Kill one or more running containers", (c) =>
    c.argument("<container...>").option("-s, --signal <signal>", "signal to send to the container", "KILL").action(act("killCommand")),
  );
  both(
    "rm",
    "Remove one or more containers",
    (c) =>
      c
        .argument("<container...>")
        .option("-f, --force", "force the removal of a running container (uses SIGKILL)")
        .option("-v, --volumes", "remove anonymous volumes associated with the container")
        .option("-l, --link", "remove the specified link")
        .action(act("rmCommand")),
    "remove",
  );
  const ps = (c: Command) =>
    c
      .option("-a, --all", "show all containers (default shows just running)")
      .option("-f, --filter <filter>", "filter output based on conditions provided", collect, [])
      .option("--format <format>", "format output using a Go template, 'table', 'table TEMPLATE' or 'json'")
      .option("-n, --last <n>", "show n last created containers (includes all states)", (v) => parseInt(v, 10))
      .option("-l, --latest", "show the latest created container (includes all states)")
      .option("--no-trunc", "don't truncate output")
      .option("-q, --quiet", "only display container IDs")
      .option("-s, --size", "display total file sizes")
      .action(act("psCommand"));
  ps(program.command("ps").description("List containers"));
  ps(container.command("ls").alias("list").alias("ps").description("List containers"));
  both("logs", "Fetch the logs of a container", (c) =>
    c
      .argument("<container>")
      .option("-f, --follow", "follow log output")
      .option("-t, --timestamps", "show timestamps")
      .option("-n, --tail <n>", 'number of lines to show from the end of the logs (default "all")')
      .option("--since <time>", "show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m)")
      .option("--until <time>", "show logs before a timestamp or relative")
      .option("--details", "show extra details provided to logs")
      .action(act("logsCommand")),
  );
  both("exec", "Execute a command in a running container", (c) =>
    c
      .argument("<container>")
      .argument("<command...>")
      .passThroughOptions()
      .option("-i, --interactive", "keep STDIN open even if not attached")
      .option("-t, --tty", "allocate a pseudo-TTY")
      .option("-d, --detach", "detached mode: run command in the background")
      .option("-e, --env <env>", "set environment variables", collect, [])
      .option("--env-file <file>", "read in a file of environment variables", collect, [])
      .option("-w, --workdir <dir>", "working directory inside the container")
      .option("-u, --user <user>", "username or UID (format: <name|uid>[:<group|gid>])")
      .option("--privileged", "give extended privileges to the command")
      .option("--detach-keys <keys>", "override the key sequence for detaching a container")
      .action(act("execCommand")),
  );
  both("attach", "Attach local standard input, output, and error streams to a running container", (c) =>
    c
      .argument("<container>")
      .option("--no-stdin", "do not attach STDIN")
      .option("--detach-keys <keys>", "override the key sequence for detaching a container")
      .option("--sig-proxy", "proxy all received signals to the process", true)
      .action(act("attachCommand")),
  );
  both("wait", "Block until one or more containers stop, then print their exit codes", (c) => c.argument("<container...>").action(act("waitCommand")));
  both("top", "Display the running processes of a container", (c) =>
    c.argument("<container>").argument("[ps-options...]").allowUnknownOption().action(act("topCommand")),
  );
  both("diff", "Inspect changes to files or directories on a container's filesystem", (c) =>
    c.argument("<container>").action(act("diffCommand")),
  );
  both("cp", "Copy files/folders between a container and the local filesystem", (c) =>
    c
      .argument("<src>", "CONTAINER:SRC_PATH, SRC_PATH or -")
      .argument("<dest>", "CONTAINER:DEST_PATH, DEST_PATH or -")
      .option("-a, --archive", "archive mode (copy all uid/gid information)")
      .option("-L, --follow-link", "always follow symbol link in SRC_PATH")
      .option("-q, --quiet", "suppress progress output during copy")
      .action(act("cpCommand")),
  );
  both("export", "Export a container's filesystem as a tar archive", (c) =>
    c.argument("<container>").option("-o, --output <file>", "write to a file, instead of STDOUT").action(act("exportCommand")),
  );
  both("pause", "Pause all processes within one or more containers", (c) => c.argument("<container...>").action(act("pauseCommand")));
  both("unpause", "Unpause all processes within one or more containers", (c) => c.argument("<container...>").action(act("unpauseCommand")));
  both("rename", "Rename a container", (c) => c.argument("<container>").argument("<new-name>").action(act("renameCommand")));
  both("update", "Update configuration of one or more containers", (c) =>
    c
      .argument("<container...>")
      .option("--restart <policy>", "restart policy to apply when a container exits")
      .option("-m, --memory <bytes>", "memory limit")
      .option("--cpus <number>", "number of CPUs")
      .option("--pids-limit <n>", "tune container pids limit (set -1 for unlimited)")
      .action(act("updateCommand")),
  );
  both("port", "List port mappings or a specific mapping for the container", (c) =>
    c.argument("<container>").argument("[private-port]").action(act("portCommand")),
  );
  both("stats", "Display a live stream of container(s) resource usage statistics", (c) =>
    c
      .argument("[container...]")
      .option("-a, --all", "show all containers (default shows just running)")
      .option("--no-stream", "disable streaming stats and only pull the first result")
      .option("--no-trunc", "do not truncate output")
      .option("--format <format>", "format output using a Go template or 'json'")
      .action(act("statsCommand")),
  );
  container
    .command("prune")
    .description("Remove all stopped containers")
    .option("-f, --force", "do not prompt for confirmation")
    .option("--filter <filter>", "provide filter values (e.g. 'until=<timestamp>')", collect, [])
    .action(act("containerPruneCommand"));
  container
    .command("inspect")
    .description("Display detailed information on one or more containers")
    .argument("<container...>")
    .option("-f, --format <format>", "format output using a Go template or 'json'")
    .option("-s, --size", "display total file sizes")
    .action(act("containerInspectCommand"));
  program
    .command("inspect")
    .description("Return low-level information on skiff objects")
    .argument("<name...>")
    .option("-f, --format <format>", "format output using a Go template or 'json'")
    .option("-s, --size", "display total file sizes if the type is container")
    .option("--type <type>", "return JSON for specified type (container, image, volume)")
    .action(act("inspectCommand"));
}
