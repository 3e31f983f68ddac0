import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadBusybox } from "../../helpers/busybox.js";
import { SkiffEnv, isRoot } from "../../helpers/cli.js";

// skiff build against real images: every instruction's effect is checked by
// running a container from the result (files, owners, modes, config), plus
// Docker's classic-builder output, failures and the ways to give the Dockerfile.

let env: SkiffEnv;
let n = 0;

/** A fresh context directory with these files (string: content; {link}: a symlink). */
function context(files: Record<string, string | { link: string } | { mode: number; data: string }>): string {
  const dir = join(env.base, "work", `ctx${++n}`);
  mkdirSync(dir, { recursive: true });
  for (const [rel, v] of Object.entries(files)) {
    mkdirSync(join(dir, rel, ".."), { recursive: true });
    if (typeof v === "string") writeFileSync(join(dir, rel), v);
    else if ("link" in v) symlinkSync(v.link, join(dir, rel));
    else writeFileSync(join(dir, rel), v.data, { mode: v.mode });
  }
  return dir;
}

const inspect = async (name: string) => JSON.parse(await env.ok(["image", "inspect", name]))[0];
const sh = (image: string, script: string, extra: string[] = []) => env.ok(["run", "--rm", ...extra, image, "sh", "-c", script]);

beforeAll(async () => {
  env = new SkiffEnv();
  await loadBusybox(env, "busybox:latest");
});
afterAll(() => env?.cleanup());

describe.skipIf(isRoot)("build instructions", () => {
  test("classic output, COPY rules, --chown/--chmod, ENV/WORKDIR/USER/CMD, history", async () => {
    const dir = context({
      Dockerfile: [
        "FROM busybox",
        "COPY a.txt /dst/",
        "COPY a.txt /renamed.txt",
        "COPY tree/ /tree/",
        "COPY --chown=1000:100 --chmod=0640 a.txt b*.txt /owned/",
        "COPY --chown=user a.txt /home/user/mine.txt",
        "ADD arch.tar.gz /unpacked/",
        "ENV GREETING=hello PATHX=/x",
        "WORKDIR /app",
        "COPY a.txt rel/",
        "RUN echo \"$GREETING from $(pwd) as $(id -u)\" > /app/run.txt && ls -ld /app | cut -c1-10 > /app/mode",
        "USER 1000:1000",
        "EXPOSE 8080 53/udp",
        "LABEL com.example.x=1",
        "STOPSIGNAL SIGINT",
        'ENTRYPOINT ["sh", "-c"]',
        'CMD ["cat /app/run.txt"]',
        "",
      ].join("\n"),
      "a.txt": "A\n",
      "b1.txt": "B1\n",
      "b2.txt": "B2\n",
      "tree/x": { mode: 0o750, data: "X\n" },
      "tree/sub/y": "Y\n",
      "tree/link": { link: "x" },
    });
    spawnSync("sh", ["-c", `mkdir -p ${dir}/arc/inner && echo inside > ${dir}/arc/inner/f && tar -C ${dir}/arc -czf ${dir}/arch.tar.gz inner && rm -rf ${dir}/arc`]);
    const r = await env.run(["build", "-t", "built:one", "-t", "built:alias", dir]);
    expect(r.stderr + r.stdout).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/^Step 1\/17 : FROM busybox\n ---> [0-9a-f]{12}\n/);
    expect(out).toContain("Step 11/17 : RUN echo");
    expect(out).toMatch(/ ---> Running in [0-9a-f]{12}\n/);
    expect(out).toMatch(/Removing intermediate container [0-9a-f]{12}\n/);
    expect(out).toMatch(/Successfully built [0-9a-f]{12}\nSuccessfully tagged built:one\nSuccessfully tagged built:alias\n$/);
    const id = /Successfully built ([0-9a-f]{12})/.exec(out)![1]!;
    const img = await inspect("built:one");
    expect(img.Id.slice(7, 19)).toBe(id);
    expect((await inspect("built:alias")).Id).toBe(img.Id);

    // The files, owners and modes.
    const files = await sh(
      "built:one",
      [
        "cat /dst/a.txt /renamed.txt /tree/x /tree/sub/y",
        "readlink /tree/link",
        "stat -c '%n %u:%g %a' /tree/x /dst/a.txt /owned/a.txt /owned/b1.txt /owned/b2.txt /home/user/mine.txt /owned",
        "cat /unpacked/inner/f /app/rel/a.txt /app/run.txt /app/mode",
        "test -e /tree/tree || echo no-nested-dir",
      ].join("; "),
      ["-u", "0", "--entrypoint", ""],
    );
    expect(files).toBe(
      [
        "A", "A", "X", "Y", "x",
        "/tree/x 0:0 750", "/dst/a.txt 0:0 644", "/owned/a.txt 1000:100 640", "/owned/b1.txt 1000:100 640", "/owned/b2.txt 1000:100 640",
        "/home/user/mine.txt 1000:1000 644", "/owned 1000:100 755",
        "inside", "A", "hello from /app as 0", "drwxr-xr-x", "no-nested-dir", "",
      ].join("\n"),
    );

    // The config, and a container run from it as is.
    const c = img.Config;
    expect(c.Env).toEqual(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "GREETING=hello", "PATHX=/x"]);
    expect(c.WorkingDir).toBe("/app");
    expect(c.User).toBe("1000:1000");
    expect(c.ExposedPorts).toEqual({ "8080/tcp": {}, "53/udp": {} });
    expect(c.Labels).toEqual({ "com.example.x": "1" });
    expect(c.StopSignal).toBe("SIGINT");
    expect(c.Entrypoint).toEqual(["sh", "-c"]);
    expect(c.Cmd).toEqual(["cat /app/run.txt"]);
    expect(await env.ok(["run", "--rm", "built:one"])).toBe("hello from /app as 0\n");
    expect(await env.ok(["run", "--rm", "built:one", "id -u; pwd; echo $GREETING"])).toBe("1000\n/app\nhello\n");

    // History: one entry per step; metadata steps are empty layers.
    const hist = await env.ok(["history", "--no-trunc", "--format", "{{.CreatedBy}}", "built:one"]);
    const lines = hist.trim().split("\n");
    expect(lines[0]).toBe('/bin/sh -c #(nop)  CMD ["cat /app/run.txt"]');
    expect(lines).toContain("/bin/sh -c #(nop)  ENV GREETING=hello PATHX=/x");
    expect(lines).toContain("/bin/sh -c #(nop) WORKDIR /app");
    expect(lines.some((l) => /^\/bin\/sh -c echo "\$GREETING/.test(l))).toBe(true);
    expect(lines.some((l) => /^\/bin\/sh -c #\(nop\) COPY dir:[0-9a-f]{64} in \/tree\/ $/.test(l))).toBe(true);
    // busybox, 5 COPY + 1 ADD, WORKDIR's new directory, COPY rel/, RUN
    expect(img.RootFS.Layers.length).toBe(1 + 6 + 1 + 1 + 1);

    // Intermediate images stay out of `images` unless -a.
    const plain = await env.ok(["images", "-q"]);
    const all = await env.ok(["images", "-a", "-q"]);
    expect(plain.trim().split("\n").length).toBe(2); // busybox, built
    expect(all.trim().split("\n").length).toBeGreaterThan(10);
  });

  test("COPY into what the image has: existing directories, over a file, through a symlinked directory", async () => {
    const dir = context({
      Dockerfile: [
        "FROM busybox",
        "RUN mkdir -p /real/dir && chmod 0701 /real && chown 1000:100 /real && ln -s /real/dir /linked && echo old > /real/dir/old.txt && echo lower > /etc/over",
        "COPY extra.conf /etc/",
        "COPY over /etc/over",
        "COPY tree/ /linked/",
        "",
      ].join("\n"),
      "extra.conf": "extra\n",
      over: "new\n",
      "tree/a": "a\n",
      "tree/sub/b": "b\n",
    });
    expect((await env.run(["build", "-t", "into:1", dir])).code).toBe(0);
    const out = await sh("into:1", "cat /etc/passwd | head -1; cat /etc/extra.conf /etc/over; ls /real/dir; cat /real/dir/sub/b; stat -c '%a %u:%g' /real; test -L /linked && echo still-a-link");
    expect(out).toBe("root:x:0:0:root:/root:/bin/sh\nextra\nnew\na\nold.txt\nsub\nb\n701 1000:100\nstill-a-link\n");
  });

  test("ARG and --build-arg, unused build-arg warning, --label, --iidfile, -q", async () => {
    const dir = context({
      Dockerfile: "ARG BASE=busybox\nFROM $BASE\nARG WHO=nobody\nARG UNSET\nRUN echo \"hi $WHO [$UNSET]\" > /who\nENV FROM_ARG=$WHO\n",
    });
    const iid = join(env.base, "work", "iid");
    const r = await env.run(["build", "--build-arg", "WHO=ann", "--build-arg", "NOPE=1", "--label", "team=core", "--iidfile", iid, "-t", "args:1", dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("[Warning] One or more build-args [NOPE] were not consumed");
    const img = await inspect("args:1");
    expect(readFileSync(iid, "utf8")).toBe(img.Id);
    expect(img.Config.Labels).toEqual({ team: "core" });
    expect(img.Config.Env).toContain("FROM_ARG=ann");
    expect(img.Config.Env.some((e: string) => e.startsWith("WHO="))).toBe(false);
    expect(await env.ok(["run", "--rm", "args:1", "cat", "/who"])).toBe("hi ann []\n");

    const q = await env.run(["build", "-q", "--build-arg", "WHO=bob", dir]);
    expect(q.code).toBe(0);
    expect(q.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(await env.ok(["run", "--rm", q.stdout.trim(), "cat", "/who"])).toBe("hi bob []\n");
  });

  test("multi-stage: COPY --from a stage and an image, --target, FROM a stage", async () => {
    const dir = context({
      Dockerfile: [
        "FROM busybox AS build",
        "RUN mkdir /out && echo built > /out/artifact && echo extra > /out/extra",
        "FROM build AS test",
        "RUN echo tested > /out/tested",
        "FROM busybox",
        "COPY --from=build /out/artifact /bin/busybox /final/",
        "COPY --from=busybox /etc/passwd /final/passwd",
        "CMD cat /final/artifact",
        "",
      ].join("\n"),
    });
    const r = await env.run(["build", "-t", "multi:final", dir]);
    expect(r.code).toBe(0);
    // The "test" stage is not needed by the last one: not built.
    expect(r.stdout).not.toContain("echo tested");
    expect(await env.ok(["run", "--rm", "multi:final"])).toBe("built\n");
    expect(await sh("multi:final", "ls /final; test -e /out || echo no-out")).toBe("artifact\nbusybox\npasswd\nno-out\n");
    expect((await inspect("multi:final")).Config.Cmd).toEqual(["/bin/sh", "-c", "cat /final/artifact"]);

    const t = await env.run(["build", "--target", "test", "-t", "multi:test", dir]);
    expect(t.code).toBe(0);
    expect(await sh("multi:test", "cat /out/artifact /out/tested")).toBe("built\ntested\n");
    const bad = await env.run(["build", "--target", "nosuch", dir]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/target stage "nosuch" could not be found/);
  });

  test("ONBUILD triggers are recorded and run in a child build", async () => {
    const parent = context({ Dockerfile: "FROM busybox\nONBUILD COPY marker.txt /marker.txt\nONBUILD RUN echo triggered > /triggered\n", "marker.txt": "unused\n" });
    expect((await env.run(["build", "-t", "onbuild:parent", parent])).code).toBe(0);
    expect((await inspect("onbuild:parent")).Config.OnBuild).toEqual(["COPY marker.txt /marker.txt", "RUN echo triggered > /triggered"]);
    const child = context({ Dockerfile: "FROM onbuild:parent\nRUN cat /triggered\n", "marker.txt": "from child\n" });
    const r = await env.run(["build", "-t", "onbuild:child", child]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("# Executing 2 build triggers");
    expect(await sh("onbuild:child", "cat /marker.txt /triggered")).toBe("from child\ntriggered\n");
    expect((await inspect("onbuild:child")).Config.OnBuild ?? null).toBeNull();
  });

  test(".dockerignore leaves files out; exceptions bring them back", async () => {
    const dir = context({
      Dockerfile: "FROM busybox\nCOPY . /ctx/\n",
      ".dockerignore": "# comment\n*.log\nsecret/\ndocs/**\n!docs/keep.md\n",
      "app.txt": "app\n",
      "debug.log": "log\n",
      "secret/key": "k\n",
      "docs/a.md": "a\n",
      "docs/keep.md": "keep\n",
    });
    expect((await env.run(["build", "-t", "ignored:1", dir])).code).toBe(0);
    expect(await sh("ignored:1", "cd /ctx && find . | sort")).toBe("\n.\n./.dockerignore\n./Dockerfile\n./app.txt\n./docs\n./docs/keep.md\n".slice(1));
    const missing = context({ Dockerfile: "FROM busybox\nCOPY debug.log /\n", ".dockerignore": "*.log\n", "debug.log": "x" });
    const r = await env.run(["build", missing]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("COPY failed: file not found in build context or excluded by .dockerignore: stat debug.log: file does not exist");
  });

  test("a failing RUN: exit 1 and Docker's message; several sources need a directory", async () => {
    const dir = context({ Dockerfile: "FROM busybox\nRUN echo before && exit 3\nRUN echo never\n" });
    const r = await env.run(["build", "--force-rm", dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("before\n");
    expect(r.stdout).not.toContain("never");
    expect(r.stderr).toContain("The command '/bin/sh -c echo before && exit 3' returned a non-zero code: 3");
    // -q prints nothing but the id; when a step fails, the build's output goes to stderr.
    const quiet = await env.run(["build", "-q", "--force-rm", dir]);
    expect(quiet.code).toBe(1);
    expect(quiet.stdout).toBe("");
    expect(quiet.stderr).toMatch(/Step 2\/3 : RUN echo before && exit 3\n[^]*before\n[^]*returned a non-zero code: 3/);
    const containers = async () => (await env.ok(["ps", "-a", "-q"])).trim().split("\n").filter(Boolean).length;
    const before = await containers();
    const exec = await env.run(["build", context({ Dockerfile: 'FROM busybox\nRUN ["false"]\n' })]);
    expect(exec.code).toBe(1);
    expect(exec.stderr).toContain("The command 'false' returned a non-zero code: 1");
    // Without --force-rm the failed step's container stays, as Docker's does; with --rm=false every one does.
    expect(await containers()).toBe(before + 1);
    const kept = await env.run(["build", "--rm=false", context({ Dockerfile: "FROM busybox\nRUN echo a > /a\nRUN echo b > /b\n" })]);
    expect(kept.code).toBe(0);
    expect(kept.stdout).not.toContain("Removing intermediate container");
    expect(await containers()).toBe(before + 3);
    const id = /Successfully built ([0-9a-f]{12})/.exec(kept.stdout)![1]!;
    expect(await sh(id, "cat /a /b")).toBe("a\nb\n");
    const multi = await env.run(["build", context({ Dockerfile: "FROM busybox\nCOPY a b /dest\n", a: "a", b: "b" })]);
    expect(multi.code).toBe(1);
    expect(multi.stderr).toContain("When using COPY with more than one source file, the destination must be a directory and end with a /");
  });

  test("-f another Dockerfile, a Dockerfile on stdin, a tar context on stdin", async () => {
    const dir = context({ "other.Dockerfile": "FROM busybox\nCOPY f /f\nCMD [\"cat\", \"/f\"]\n", f: "from file\n" });
    expect((await env.run(["build", "-f", join(dir, "other.Dockerfile"), "-t", "ff:1", dir])).code).toBe(0);
    expect(await env.ok(["run", "--rm", "ff:1"])).toBe("from file\n");

    const df = await env.run(["build", "-f", "-", "-t", "ff:2", dir], { input: "FROM busybox\nCOPY f /from-stdin-dockerfile\n" });
    expect(df.code).toBe(0);
    expect(await sh("ff:2", "cat /from-stdin-dockerfile")).toBe("from file\n");

    const r = await env.run(["build", "-t", "stdin:1", "-"], { input: "FROM busybox\nRUN echo piped > /p\nCMD [\"cat\", \"/p\"]\n" });
    expect(r.code).toBe(0);
    expect(await env.ok(["run", "--rm", "stdin:1"])).toBe("piped\n");

    const tar = spawnSync("tar", ["-C", dir, "-cf", "-", "."]).stdout;
    writeFileSync(join(dir, "Dockerfile"), "FROM busybox\nCOPY f /g\nCMD [\"cat\", \"/g\"]\n");
    const tarWithDockerfile = spawnSync("tar", ["-C", dir, "-cf", "-", "."]).stdout;
    expect(tar.length).toBeGreaterThan(0);
    const t = await env.run(["build", "-t", "stdin:tar", "-"], { input: tarWithDockerfile });
    expect(t.code).toBe(0);
    expect(await env.ok(["run", "--rm", "stdin:tar"])).toBe("from file\n");
  });

  test("SHELL, heredoc RUN, RUN --mount=type=cache and tmpfs, VOLUME, HEALTHCHECK, scratch", async () => {
    const dir = context({
      Dockerfile: [
        "FROM busybox",
        'SHELL ["/bin/sh", "-ec"]',
        "RUN <<EOF",
        "echo line1 > /heredoc",
        "echo line2 >> /heredoc",
        "EOF",
        "RUN <<EOF",
        "#!/bin/sh",
        "echo \"shebang as $(id -u)\" > /shebang",
        "EOF",
        "RUN --mount=type=cache,target=/cache echo run >> /cache/count && wc -l < /cache/count > /seen",
        "RUN --mount=type=bind,source=data,target=/mnt/data cat /mnt/data/d.txt > /from-bind",
        "RUN --mount=type=bind,source=data,target=/mnt/data,rw echo scribble > /mnt/data/d.txt && cat /mnt/data/d.txt >> /from-bind",
        "RUN --mount=type=tmpfs,target=/scratchpad echo t > /scratchpad/t && cat /scratchpad/t > /from-tmpfs",
        "RUN --network=none cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' ' > /nets-none",
        "RUN cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' ' | sort > /nets-default",
        "VOLUME /data",
        "HEALTHCHECK --interval=5s CMD true",
        "",
      ].join("\n"),
      "data/d.txt": "bound\n",
    });
    expect((await env.run(["build", "-t", "misc:1", dir])).code).toBe(0);
    expect(await sh("misc:1", "cat /heredoc /shebang /seen /from-tmpfs; test -e /cache/count || echo no-cache-in-image")).toBe("line1\nline2\nshebang as 0\n1\nt\nno-cache-in-image\n");
    // A bind mount of the context; writes to a rw one stay out of the context.
    expect(await sh("misc:1", "cat /from-bind; test -e /mnt || echo no-mount-point; test -e /cache || echo no-cache-dir")).toBe("bound\nscribble\nno-mount-point\nno-cache-dir\n");
    expect(readFileSync(join(dir, "data", "d.txt"), "utf8")).toBe("bound\n");
    // RUN's network: slirp4netns by default (Docker's bridge), none when asked.
    expect(await sh("misc:1", "cat /nets-none; echo --; cat /nets-default")).toBe("lo\n--\nlo\ntap0\n");
    const unsupported = await env.run(["build", context({ Dockerfile: "FROM busybox\nRUN --mount=type=secret,id=x cat /run/secrets/x\n" })]);
    expect(unsupported.code).toBe(1);
    expect(unsupported.stderr).toContain("RUN --mount=type=secret is not supported by skiff build");
    const c = (await inspect("misc:1")).Config;
    expect(c.Shell).toEqual(["/bin/sh", "-ec"]);
    expect(c.Volumes).toEqual({ "/data": {} });
    expect(c.Healthcheck).toEqual({ Test: ["CMD-SHELL", "true"], Interval: 5_000_000_000 });
    // The cache mount outlives the step: a rebuild without the layer cache counts on.
    expect((await env.run(["build", "--no-cache", "-t", "misc:2", dir])).code).toBe(0);
    expect(await sh("misc:2", "cat /seen")).toBe("2\n");

    const scratch = context({ Dockerfile: "FROM busybox AS src\nFROM scratch\nWORKDIR /w\nCOPY --from=src /bin/busybox /busybox\nCOPY hello /hello\nCOPY hello here\n", hello: "hi\n" });
    expect((await env.run(["build", "-t", "scratchy:1", scratch])).code).toBe(0);
    expect(await env.ok(["run", "--rm", "scratchy:1", "/busybox", "cat", "/hello", "/w/here"])).toBe("hi\nhi\n");
    expect(await env.ok(["run", "--rm", "scratchy:1", "/busybox", "pwd"])).toBe("/w\n");
  });
});
