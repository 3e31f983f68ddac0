import { describe, expect, test } from "vitest";
import { configStep, type StageState } from "../../../src/builder/config-steps.js";
import { StageScope, parseDockerfile } from "../../../src/builder/dockerfile/index.js";

// Config-only steps: the config they leave and the classic builder's history line.

function apply(lines: string[], start: StageState["config"] = { Cmd: ["sh"], Env: ["PATH=/bin"] }) {
  const scope = StageScope.fromImage(start.Env);
  const state: StageState = { config: start, cmdSet: false };
  const created: string[] = [];
  for (const ins of parseDockerfile(lines.join("\n")).instructions) {
    const r = configStep(state, scope.step(ins), scope)!;
    state.config = r.config;
    created.push(r.createdBy);
  }
  return { config: state.config, created };
}

describe("config steps", () => {
  test("history lines as the classic builder writes them", () => {
    const { created } = apply(["ENV A=1 B=two", "WORKDIR /app", 'CMD ["run"]', "CMD echo hi", "EXPOSE 80 53/udp", "USER 1000", "LABEL x=y"]);
    expect(created).toEqual([
      "/bin/sh -c #(nop)  ENV A=1 B=two",
      "/bin/sh -c #(nop) WORKDIR /app",
      '/bin/sh -c #(nop)  CMD ["run"]',
      '/bin/sh -c #(nop)  CMD ["/bin/sh" "-c" "echo hi"]',
      "/bin/sh -c #(nop)  EXPOSE 80/tcp 53/udp",
      "/bin/sh -c #(nop)  USER 1000",
      "/bin/sh -c #(nop)  LABEL x=y",
    ]);
  });

  test("ENV keeps order and replaces in place; WORKDIR continues from the last one", () => {
    const { config } = apply(["ENV B=1", "ENV PATH=/usr/bin:/bin", "WORKDIR /a", "WORKDIR b/../c"]);
    expect(config.Env).toEqual(["PATH=/usr/bin:/bin", "B=1"]);
    expect(config.WorkingDir).toBe("/a/c");
  });

  test("ENTRYPOINT resets an inherited CMD, not one set in the stage", () => {
    expect(apply(['ENTRYPOINT ["x"]']).config.Cmd).toBeNull();
    expect(apply(['CMD ["y"]', 'ENTRYPOINT ["x"]']).config.Cmd).toEqual(["y"]);
  });

  test("SHELL changes the shell of later shell-form commands and history lines", () => {
    const { config, created } = apply(['SHELL ["/bin/bash", "-xc"]', "CMD run"]);
    expect(config.Cmd).toEqual(["/bin/bash", "-xc", "run"]);
    expect(created[1]).toBe('/bin/bash -xc #(nop)  CMD ["/bin/bash" "-xc" "run"]');
  });

  test("VOLUME, STOPSIGNAL, ONBUILD, HEALTHCHECK", () => {
    const { config } = apply(["VOLUME /data /logs", "STOPSIGNAL SIGQUIT", "ONBUILD RUN make", "HEALTHCHECK --retries=2 CMD [\"check\"]"]);
    expect(config.Volumes).toEqual({ "/data": {}, "/logs": {} });
    expect(config.StopSignal).toBe("SIGQUIT");
    expect(config.OnBuild).toEqual(["RUN make"]);
    expect(config.Healthcheck).toEqual({ Test: ["CMD", "check"], Retries: 2 });
    expect(apply(["HEALTHCHECK NONE"]).config.Healthcheck).toEqual({ Test: ["NONE"] });
  });
});
