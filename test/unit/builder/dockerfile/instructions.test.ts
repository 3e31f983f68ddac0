import { describe, expect, test } from "vitest";
import { parseDockerfile } from "../../../../src/builder/dockerfile/parse.js";
import type { Instruction } from "../../../../src/builder/dockerfile/types.js";

// Each instruction's parsed form. Values are as written (quotes, escapes and
// variables still in place): expansion is tested in scope.test.ts.

/** Parse one instruction placed after a FROM. */
const one = (line: string): Instruction => parseDockerfile(`FROM base\n${line}`).instructions[1]!;
const fails = (line: string, message: string) => expect(() => one(line)).toThrow(`Dockerfile:2: ${message}`);

describe("FROM", () => {
  test("image, AS name, --platform", () => {
    expect(parseDockerfile("FROM alpine:3.19").instructions[0]).toMatchObject({ image: "alpine:3.19", stageName: undefined, platform: undefined });
    expect(parseDockerfile("FROM --platform=$BUILDPLATFORM golang:1.22 AS Build-Env").instructions[0]).toMatchObject({
      image: "golang:1.22",
      stageName: "build-env",
      platform: "$BUILDPLATFORM",
      flags: [{ name: "platform", value: "$BUILDPLATFORM" }],
    });
    expect(parseDockerfile("from scratch as out").instructions[0]).toMatchObject({ image: "scratch", stageName: "out" });
    expect(parseDockerfile("FROM a@sha256:abc AS s.1_x").instructions[0]).toMatchObject({ stageName: "s.1_x" });
  });

  test("errors", () => {
    expect(() => parseDockerfile("FROM")).toThrow("Dockerfile:1: FROM requires either one or three arguments");
    expect(() => parseDockerfile("FROM a b")).toThrow("FROM requires either one or three arguments");
    expect(() => parseDockerfile("FROM a AS")).toThrow("FROM requires either one or three arguments");
    expect(() => parseDockerfile("FROM a TO b")).toThrow("FROM requires either one or three arguments");
    expect(() => parseDockerfile("FROM a AS 1st")).toThrow(`invalid name for build stage: "1st", name can't start with a number or contain symbols`);
    expect(() => parseDockerfile("FROM a AS my:stage")).toThrow("invalid name for build stage");
    expect(() => parseDockerfile("FROM --platorm=x a")).toThrow("unknown flag: --platorm (did you mean platform?)");
  });
});

describe("ARG", () => {
  test("names with and without defaults, several per line", () => {
    expect(one('ARG A B=2 C= D="x y" E=$A')).toMatchObject({
      definitions: [{ name: "A" }, { name: "B", value: "2" }, { name: "C", value: "" }, { name: "D", value: '"x y"' }, { name: "E", value: "$A" }],
    });
    expect((one("ARG A") as { definitions: unknown[] }).definitions).toEqual([{ name: "A" }]);
  });

  test("errors", () => {
    fails("ARG", "ARG requires at least one argument");
    fails("ARG =x", "ARG names can not be blank");
  });
});

describe("ENV and LABEL", () => {
  test("key=value pairs keep quotes and escapes for expansion", () => {
    expect(one('ENV A=1 B="two words" C=three\\ words D=\'$x\'')).toMatchObject({
      pairs: [
        { key: "A", value: "1", legacy: false },
        { key: "B", value: '"two words"', legacy: false },
        { key: "C", value: "three\\ words", legacy: false },
        { key: "D", value: "'$x'", legacy: false },
      ],
    });
  });

  test("the legacy form takes the rest of the line as the value", () => {
    expect(one("ENV MY_VAR my value")).toMatchObject({ pairs: [{ key: "MY_VAR", value: "my value", legacy: true }] });
    // The documented surprise: one variable ONE with the value "TWO= THREE=world".
    expect(one("ENV ONE TWO= THREE=world")).toMatchObject({ pairs: [{ key: "ONE", value: "TWO= THREE=world", legacy: true }] });
    expect(one("LABEL maintainer foo@example.com")).toMatchObject({ keyword: "LABEL", pairs: [{ key: "maintainer", value: "foo@example.com" }] });
  });

  test("values spanning continuation lines", () => {
    const ins = one('ENV a=1 \\\n    b="two \\\n       three" \\\n\tc=4');
    expect(ins).toMatchObject({ pairs: [{ key: "a", value: "1" }, { key: "b", value: '"two        three"' }, { key: "c", value: "4" }] });
  });

  test("LABEL with several pairs and quoted keys", () => {
    expect(one('LABEL "com.example.vendor"="ACME Inc" version="1.0" description="multi\\\nline"')).toMatchObject({
      pairs: [
        { key: '"com.example.vendor"', value: '"ACME Inc"' },
        { key: "version", value: '"1.0"' },
        { key: "description", value: '"multiline"' },
      ],
    });
  });

  test("errors", () => {
    fails("ENV", "ENV requires at least one argument");
    fails("LABEL", "LABEL requires at least one argument");
    fails("ENV NAME", "ENV must have two arguments");
    fails("LABEL lonely", "LABEL must have two arguments");
    fails("ENV =value", "ENV names can not be blank");
    fails("ENV a=1 b", `Syntax error - can't find = in "b". Must be of the form: name=value`);
  });
});

describe("RUN, CMD and ENTRYPOINT", () => {
  test("exec form is a JSON array of strings", () => {
    expect(one('CMD ["nginx", "-g", "daemon off;"]')).toMatchObject({ form: "exec", command: ["nginx", "-g", "daemon off;"] });
    expect(one("CMD []")).toMatchObject({ form: "exec", command: [] });
    expect(one('CMD [""]')).toMatchObject({ form: "exec", command: [""] });
    expect(one('CMD\t[\t"a",\t"b"\t]\t')).toMatchObject({ form: "exec", command: ["a", "b"] });
    expect(one('ENTRYPOINT ["\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0000", "♥"]')).toMatchObject({ command: ['" \\ / \b \f \n \r \t \u0000', "♥"] });
  });

  test("anything that is not a JSON array is the shell form", () => {
    for (const text of ["['echo', 'x']", '["echo", "unterminated', '["a" "b"]', '["a"] && b', "[not json", "echo [1]"])
      expect(one(`RUN ${text}`), text).toMatchObject({ form: "shell", command: [text] });
  });

  test("a JSON array of something other than strings is an error", () => {
    fails('CMD ["a", 1]', "when using JSON array syntax, arrays must be comprised of strings only");
    fails('RUN ["a", ["b"]]', "when using JSON array syntax");
    fails("ENTRYPOINT [null]", "when using JSON array syntax");
  });

  test("RUN flags", () => {
    const ins = one("RUN --mount=type=cache,target=/root/.cache --mount=type=secret,id=tok --network=none --security=insecure make");
    expect(ins).toMatchObject({
      command: ["make"],
      mounts: ["type=cache,target=/root/.cache", "type=secret,id=tok"],
      network: "none",
      security: "insecure",
    });
    fails("RUN --network=bridge x", `invalid network mode "bridge"`);
    fails("RUN --security=root x", `security "root" is not valid`);
    fails("RUN --mount=from=$STAGE,target=/x x", "'from' doesn't support variable expansion, define alias stage instead");
  });

  test("flags end at -- or at the first word that is not one", () => {
    expect(one("RUN -- --version")).toMatchObject({ command: ["--version"], flags: [] });
    expect(one("RUN echo --network=x")).toMatchObject({ command: ["echo --network=x"], flags: [] });
    fails("CMD --help", "unknown flag: --help");
  });

  test("an empty command is allowed, as in Docker", () => {
    expect(one("CMD")).toMatchObject({ form: "shell", command: [] });
  });
});

describe("SHELL", () => {
  test("JSON form only", () => {
    expect(one('SHELL ["powershell", "-command"]')).toMatchObject({ shell: ["powershell", "-command"] });
    fails("SHELL /bin/bash -c", "SHELL requires the arguments to be in JSON form");
    fails("SHELL []", "SHELL requires at least one argument");
    fails("SHELL", "SHELL requires at least one argument");
  });
});

describe("COPY and ADD", () => {
  test("space-separated sources, last word is the destination", () => {
    expect(one("COPY a.txt dir/ *.go /app/")).toMatchObject({ form: "shell", sources: ["a.txt", "dir/", "*.go"], dest: "/app/", inline: [] });
  });

  test("quotes do not group in the shell form; JSON does", () => {
    expect(one('COPY "my file" /dst')).toMatchObject({ sources: ['"my', 'file"'], dest: "/dst" });
    expect(one('COPY ["my file", "other", "/dst dir/"]')).toMatchObject({ form: "exec", sources: ["my file", "other"], dest: "/dst dir/" });
  });

  test("COPY flags", () => {
    const ins = one("COPY --from=build --chown=app:app --chmod=0755 --link --parents --exclude=*.md --exclude=tmp/ src/ /out/");
    expect(ins).toMatchObject({ from: "build", chown: "app:app", chmod: "0755", link: true, parents: true, exclude: ["*.md", "tmp/"] });
    expect(one('COPY --chown="a b" x /y')).toMatchObject({ chown: "a b" });
    expect(one("COPY --link=false x /y")).toMatchObject({ link: false });
    expect(one("COPY x /y")).toMatchObject({ link: false, parents: false, from: undefined, chown: undefined, exclude: [] });
  });

  test("ADD flags", () => {
    const ins = one("ADD --checksum=sha256:abc --keep-git-dir --unpack=false --chown=1 https://example.com/a.tgz /x/");
    expect(ins).toMatchObject({ checksum: "sha256:abc", keepGitDir: true, unpack: false, chown: "1", sources: ["https://example.com/a.tgz"] });
    expect(one("ADD a /b")).toMatchObject({ keepGitDir: undefined, unpack: undefined });
  });

  test("errors", () => {
    fails("COPY onlyone", "COPY requires at least two arguments, but only one was provided. Destination could not be determined");
    fails("ADD", "ADD requires at least two arguments");
    fails("COPY --from=a --from=b x /y", "duplicate flag specified: --from");
    fails("COPY --link=maybe x /y", "expecting boolean value for flag --link, not: maybe");
    fails("COPY --link= x /y", "missing a value on flag: --link");
    fails("COPY --chown x /y", "missing a value on flag: --chown");
    fails("COPY --form=a x /y", "unknown flag: --form (did you mean from?)");
    fails("ADD --from=a x /y", "unknown flag: --from");
    fails("COPY x <<EOF\nEOF", "COPY cannot accept a heredoc as a destination");
  });
});

describe("EXPOSE, VOLUME, USER, WORKDIR, STOPSIGNAL, MAINTAINER", () => {
  test("EXPOSE keeps each port word", () => {
    expect(one("EXPOSE 80/tcp 53/udp  8080")).toMatchObject({ ports: ["80/tcp", "53/udp", "8080"] });
    fails("EXPOSE", "EXPOSE requires at least one argument");
  });

  test("VOLUME in JSON and plain form", () => {
    expect(one('VOLUME ["/data", "/var/log"]')).toMatchObject({ form: "exec", volumes: ["/data", "/var/log"] });
    expect(one("VOLUME /data /var/log")).toMatchObject({ form: "shell", volumes: ["/data", "/var/log"] });
    fails("VOLUME", "VOLUME requires at least one argument");
    fails('VOLUME ["/a", " "]', "VOLUME specified can not be an empty string");
  });

  test("one argument: the rest of the line, spaces and all", () => {
    expect(one("USER app:staff")).toMatchObject({ user: "app:staff" });
    expect(one("WORKDIR /my app/src")).toMatchObject({ path: "/my app/src" });
    expect(one("STOPSIGNAL SIGTERM")).toMatchObject({ signal: "SIGTERM" });
    expect(one("MAINTAINER Jane Doe <jane@example.com>")).toMatchObject({ maintainer: "Jane Doe <jane@example.com>" });
    for (const k of ["USER", "WORKDIR", "STOPSIGNAL", "MAINTAINER"]) fails(k, `${k} requires exactly one argument`);
    fails("USER --uid=1 app", "unknown flag: --uid");
  });
});

describe("HEALTHCHECK", () => {
  test("NONE and CMD in both forms", () => {
    expect(one("HEALTHCHECK NONE")).toMatchObject({ test: ["NONE"] });
    expect(one("healthcheck none")).toMatchObject({ test: ["NONE"] });
    expect(one("HEALTHCHECK   CMD   curl -f http://localhost/ || exit 1")).toMatchObject({ test: ["CMD-SHELL", "curl -f http://localhost/ || exit 1"] });
    expect(one('HEALTHCHECK cmd ["/bin/check", "--quiet"]')).toMatchObject({ test: ["CMD", "/bin/check", "--quiet"] });
  });

  test("options are Go durations, stored in nanoseconds", () => {
    const ins = one("HEALTHCHECK --interval=5m --timeout=3s --start-period=1m30s --start-interval=500ms --retries=3 \\\n  CMD /check");
    expect(ins).toMatchObject({ interval: 300e9, timeout: 3e9, startPeriod: 90e9, startInterval: 500e6, retries: 3 });
    expect(one("HEALTHCHECK --interval=0s --retries=0 CMD x")).toMatchObject({ interval: 0, retries: 0 });
    expect(one("HEALTHCHECK --timeout=1.5h CMD x")).toMatchObject({ timeout: 5400e9 });
    expect(one("HEALTHCHECK CMD x")).not.toHaveProperty("interval");
  });

  test("errors", () => {
    fails("HEALTHCHECK", "HEALTHCHECK requires at least one argument");
    fails("HEALTHCHECK CMD", "Missing command after HEALTHCHECK CMD");
    fails("HEALTHCHECK CMD []", "Missing command after HEALTHCHECK CMD");
    fails("HEALTHCHECK NONE now", "HEALTHCHECK NONE takes no arguments");
    fails("HEALTHCHECK CONNECT TCP 7000", `Unknown type "CONNECT" in HEALTHCHECK (try CMD)`);
    fails("HEALTHCHECK --interval=50ns CMD x", `Interval "interval" cannot be less than 1ms`);
    fails("HEALTHCHECK --interval=5 CMD x", `time: missing unit in duration "5"`);
    fails("HEALTHCHECK --interval=5d CMD x", `time: unknown unit "d" in duration "5d"`);
    fails("HEALTHCHECK --retries=-1 CMD x", "--retries cannot be negative (-1)");
    fails("HEALTHCHECK --retries=x CMD x", `strconv.ParseInt: parsing "x": invalid syntax`);
    fails("HEALTHCHECK --intervl=5s CMD x", "unknown flag: --intervl (did you mean interval?)");
  });
});

describe("ONBUILD", () => {
  test("the trigger is parsed as its own instruction", () => {
    const ins = one("ONBUILD COPY --chown=app . /src");
    expect(ins).toMatchObject({ keyword: "ONBUILD", expression: "COPY --chown=app . /src" });
    expect(ins.keyword === "ONBUILD" && ins.trigger).toMatchObject({ keyword: "COPY", chown: "app", sources: ["."], dest: "/src", startLine: 2 });
    expect(one("onbuild run make")).toMatchObject({ expression: "run make", trigger: { keyword: "RUN", command: ["make"] } });
  });

  test("errors", () => {
    fails("ONBUILD", "ONBUILD requires at least one argument");
    fails("ONBUILD ONBUILD RUN x", "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
    fails("ONBUILD FROM x", "FROM isn't allowed as an ONBUILD trigger");
    fails("ONBUILD MAINTAINER me", "MAINTAINER isn't allowed as an ONBUILD trigger");
    fails("ONBUILD RUNN x", "unknown instruction: RUNN (did you mean RUN?)");
    fails("ONBUILD ENV x", "ENV must have two arguments");
  });
});
