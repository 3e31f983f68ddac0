import { spawnSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { busyboxEntries, layerTar } from "../../fixtures/images.js";
import { loadBusybox } from "../../helpers/busybox.js";
import { SkiffEnv, isRoot, skiffBin } from "../../helpers/cli.js";

// The same Dockerfile built by skiff and by buildah (rootless, chroot
// isolation, its own storage in a temporary directory) must give the same
// file tree — names, types, modes, owners, sizes, link targets — and the
// same runtime config. (Podman and crun cannot start containers on these
// hosts' cgroups; buildah's chroot isolation needs none.)

const hasBuildah = spawnSync("buildah", ["--version"]).status === 0;

const DOCKERFILE = `FROM localhost/bb:latest
ARG GREETING=hello
ENV APP_HOME=/srv/app LANG=C.UTF-8
LABEL org.example.name=demo org.example.tier=web
COPY app/ /srv/app/
COPY --chown=1000:100 --chmod=0750 tool.sh /usr/local/bin/tool
COPY --chown=user:users notes.txt /home/user/
COPY *.cfg /etc/demo/
WORKDIR /srv/app
RUN mkdir -p data/cache && echo "$GREETING" > data/greeting && ln -s data/greeting greeting-link && chmod 0700 data/cache && chown 1000:1000 data/cache && rm -f /srv/app/remove-me.txt
USER 1000:100
EXPOSE 8080/tcp 9090/udp
VOLUME /srv/app/data
STOPSIGNAL SIGINT
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat data/greeting"]
`;

let env: SkiffEnv;
let ctx: string;
let buildahStore: string[];

function buildah(args: string[], opts: { input?: Buffer } = {}): string {
  const r = spawnSync("buildah", [...buildahStore, ...args], { env: { ...env.env, BUILDAH_ISOLATION: "chroot" }, input: opts.input, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`buildah ${args.join(" ")} exited ${r.status}\n${r.stderr.toString()}`);
  return r.stdout.toString();
}

/** One line per entry: type+mode owner size path [-> target], times left out; the runtime's own mount points dropped. */
function listing(tar: Buffer): string[] {
  const r = spawnSync("tar", ["-tvf", "-", "--numeric-owner"], { input: tar, encoding: "utf8", maxBuffer: 1 << 28, env: { ...process.env, LC_ALL: "C" } });
  return r.stdout
    .trim()
    .split("\n")
    .map((l) => {
      const f = l.split(/\s+/);
      const name = f.slice(5).join(" ").replace(/^\.\//, "").replace(/\/$/, "");
      return `${f[0]} ${f[1]} ${f[0]!.startsWith("d") ? "-" : f[2]} ${name}`;
    })
    .filter((l) => !/ $/.test(l))
    .filter((l) => !/ (\.|dev|proc|sys|run|etc\/hosts|etc\/hostname|etc\/resolv\.conf|\.containerenv)( ->.*)?$/.test(l) && !/ (dev|proc|sys|run)\//.test(l))
    .sort();
}

beforeAll(async () => {
  if (!hasBuildah || isRoot) return;
  env = new SkiffEnv();
  buildahStore = ["--root", join(env.base, "buildah", "root"), "--runroot", join(env.base, "buildah", "run"), "--storage-driver", "vfs"];
  await loadBusybox(env, "localhost/bb:latest");
  const base = join(env.base, "bb.tar");
  writeFileSync(base, await layerTar(busyboxEntries()));
  const ctr = buildah(["from", "scratch"]).trim();
  buildah(["add", ctr, base, "/"]);
  buildah(["config", "--env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "--cmd", "sh", ctr]);
  buildah(["commit", "-q", ctr, "localhost/bb:latest"]);
  buildah(["rm", ctr]);

  ctx = join(env.base, "work", "ctx");
  mkdirSync(join(ctx, "app", "lib"), { recursive: true });
  writeFileSync(join(ctx, "Dockerfile"), DOCKERFILE);
  writeFileSync(join(ctx, "app", "main.sh"), "#!/bin/sh\necho main\n", { mode: 0o755 });
  writeFileSync(join(ctx, "app", "lib", "util.txt"), "util\n".repeat(100));
  writeFileSync(join(ctx, "app", "remove-me.txt"), "bye\n");
  symlinkSync("main.sh", join(ctx, "app", "start"));
  writeFileSync(join(ctx, "tool.sh"), "#!/bin/sh\necho tool\n");
  writeFileSync(join(ctx, "notes.txt"), "notes\n");
  writeFileSync(join(ctx, "a.cfg"), "a=1\n");
  writeFileSync(join(ctx, "b.cfg"), "b=2\n");
  writeFileSync(join(ctx, "ignored.log"), "x\n");
}, 180_000);
afterAll(() => {
  if (!env) return;
  spawnSync("buildah", [...buildahStore, "unshare", "rm", "-rf", join(env.base, "buildah")]);
  env.cleanup();
});

describe.skipIf(!hasBuildah || isRoot)("skiff build and buildah bud agree", () => {
  test("same file tree and config from the same Dockerfile", async () => {
    await env.ok(["build", "-t", "cmp:skiff", ctx], { timeout: 120_000 });
    buildah(["bud", "--isolation", "chroot", "--pull-never", "-q", "-t", "cmp-buildah", ctx]);

    // skiff: export a container's root.
    await env.ok(["create", "--name", "cmp", "cmp:skiff"]);
    const ours = spawnSync(process.execPath, [skiffBin, "export", "cmp"], { env: env.env, maxBuffer: 1 << 28 }).stdout;
    // buildah: tar its mounted root inside its user namespace.
    const bctr = buildah(["from", "--pull-never", "cmp-buildah"]).trim();
    const theirsTar = spawnSync("buildah", [...buildahStore, "unshare", "sh", "-c", `cd "$(buildah ${buildahStore.join(" ")} mount ${bctr})" && tar --numeric-owner -cf - .`], { maxBuffer: 1 << 28 }).stdout;
    const a = listing(ours);
    const b = listing(theirsTar);
    if (process.env.SKIFF_DEBUG_LISTING) writeFileSync(process.env.SKIFF_DEBUG_LISTING, `${a.join("\n")}\n=====\n${b.join("\n")}\n`);
    expect(a.length).toBeGreaterThan(50);
    expect(a).toContain("-rwxr-x--- 1000/100 20 usr/local/bin/tool");
    expect(a).toContain("drwx------ 1000/1000 - srv/app/data/cache");
    expect(a.filter((l) => l.endsWith("remove-me.txt"))).toEqual([]);
    expect(a).toEqual(b);

    const cfg = JSON.parse(await env.ok(["image", "inspect", "cmp:skiff"]))[0].Config;
    const bcfg = JSON.parse(buildah(["inspect", "--type", "image", "cmp-buildah"])).OCIv1.config;
    const pick = (c: Record<string, unknown>) => {
      const labels = { ...(c.Labels as Record<string, string>) };
      delete labels["io.buildah.version"];
      return {
        Env: c.Env,
        Cmd: c.Cmd,
        Entrypoint: c.Entrypoint,
        WorkingDir: c.WorkingDir,
        User: c.User,
        ExposedPorts: c.ExposedPorts,
        Volumes: c.Volumes,
        StopSignal: c.StopSignal,
        Labels: labels,
      };
    };
    expect(pick(cfg)).toEqual(pick(bcfg));
    expect(pick(cfg).Labels).toEqual({ "org.example.name": "demo", "org.example.tier": "web" });
  });
});
