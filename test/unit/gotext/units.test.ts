import { describe, expect, test } from "vitest";
import { goTimeString } from "../../../src/gotext/gotime.js";
import { ago, bytesSize, commandColumn, containerCommand, containerStatus, humanDuration, humanSize } from "../../../src/gotext/units.js";
import { displayWidth, ellipsis } from "../../../src/gotext/width.js";
import { shortId } from "../../../src/digest.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe("humanSize (go-units HumanSizeWithPrecision)", () => {
  test.each([
    [0, "0B"],
    [123, "123B"],
    [999, "999B"],
    [1000, "1kB"],
    [1024, "1.02kB"],
    [4100, "4.1kB"],
    [1125, "1.12kB"],
    [1234567, "1.23MB"],
    [4_264_000, "4.26MB"],
    [123_000_000, "123MB"],
    [5.5e9, "5.5GB"],
    [999_950, "1e+03kB"],
    [1e15, "1PB"],
    [1e27, "1e+03YB"],
  ])("%d → %s", (n, out) => {
    expect(humanSize(n)).toBe(out);
  });

  test("go-units' own HumanSize uses 4 digits", () => {
    expect(humanSize(1234567, 4)).toBe("1.235MB");
    expect(humanSize(1000, 4)).toBe("1kB");
    expect(humanSize(3.7e12, 4)).toBe("3.7TB");
  });

  test("bytesSize uses binary units", () => {
    expect(bytesSize(0)).toBe("0B");
    expect(bytesSize(1024)).toBe("1KiB");
    expect(bytesSize(45056)).toBe("44KiB");
    expect(bytesSize(17_825_792)).toBe("17MiB");
    expect(bytesSize(1024 * 1024 * 1024 * 5.5)).toBe("5.5GiB");
  });
});

describe("humanDuration (go-units)", () => {
  test.each([
    [-5 * SECOND, "Less than a second"],
    [0, "Less than a second"],
    [999, "Less than a second"],
    [SECOND, "1 second"],
    [2 * SECOND, "2 seconds"],
    [59 * SECOND, "59 seconds"],
    [60 * SECOND, "About a minute"],
    [119 * SECOND, "About a minute"],
    [2 * MINUTE, "2 minutes"],
    [59 * MINUTE, "59 minutes"],
    [60 * MINUTE, "About an hour"],
    [89 * MINUTE, "About an hour"],
    [90 * MINUTE, "2 hours"],
    [47 * HOUR, "47 hours"],
    [48 * HOUR, "2 days"],
    [13 * DAY, "13 days"],
    [14 * DAY, "2 weeks"],
    [59 * DAY, "8 weeks"],
    [60 * DAY, "2 months"],
    [729 * DAY, "24 months"],
    [730 * DAY, "2 years"],
    [3650 * DAY, "10 years"],
  ])("%d ms → %s", (ms, out) => {
    expect(humanDuration(ms)).toBe(out);
  });

  test("ago", () => {
    const now = Date.UTC(2024, 0, 10);
    expect(ago(now - 3 * MINUTE, now)).toBe("3 minutes ago");
    expect(ago(new Date(now - 2 * DAY), new Date(now))).toBe("2 days ago");
  });
});

describe("containerStatus (the daemon's State.String)", () => {
  const now = Date.UTC(2024, 0, 10, 12);
  test.each([
    [{}, "Created"],
    [{ running: true, startedAt: now - 3 * MINUTE }, "Up 3 minutes"],
    [{ running: true, startedAt: now - 500 }, "Up Less than a second"],
    [{ running: true, paused: true, startedAt: now - 2 * HOUR }, "Up 2 hours (Paused)"],
    [{ running: true, restarting: true, exitCode: 1, finishedAt: now - 5 * SECOND }, "Restarting (1) 5 seconds ago"],
    [{ running: true, startedAt: now - HOUR, health: "healthy" }, "Up About an hour (healthy)"],
    [{ running: true, startedAt: now - HOUR, health: "unhealthy" }, "Up About an hour (unhealthy)"],
    [{ running: true, startedAt: now - 10 * SECOND, health: "starting" }, "Up 10 seconds (health: starting)"],
    [{ startedAt: now - DAY * 4, finishedAt: now - DAY * 3 }, "Exited (0) 3 days ago"],
    [{ startedAt: now - DAY, finishedAt: now - 30 * SECOND, exitCode: 137 }, "Exited (137) 30 seconds ago"],
    [{ startedAt: now - DAY }, ""],
    [{ removing: true, startedAt: now }, "Removal In Progress"],
    [{ dead: true, startedAt: now }, "Dead"],
  ] as [Parameters<typeof containerStatus>[0], string][])("%j", (state, out) => {
    expect(containerStatus(state, now)).toBe(out);
  });
});

describe("identifiers and commands", () => {
  test("shortId drops the algorithm and keeps 12 characters", () => {
    const hex = "90435eec5c4e124e741ef731e118be2fc799a68aba0466ec17717f24ce2ae6a2";
    expect(shortId(hex)).toBe("90435eec5c4e");
    expect(shortId(`sha256:${hex}`)).toBe("90435eec5c4e");
    expect(shortId("1234")).toBe("1234");
    expect(shortId("")).toBe("");
  });

  test("containerCommand quotes arguments with spaces", () => {
    expect(containerCommand("/docker-entrypoint.sh", ["nginx", "-g", "daemon off;"])).toBe(
      "/docker-entrypoint.sh nginx -g 'daemon off;'",
    );
    expect(containerCommand("sh")).toBe("sh");
  });

  test("commandColumn cuts to 20 columns and quotes as Go does", () => {
    expect(commandColumn("sh -c 'echo hello; sleep 100'")).toBe("\"sh -c 'echo hello; …\"");
    expect(commandColumn("/docker-entrypoint.sh nginx -g 'daemon off;'")).toBe('"/docker-entrypoint.…"');
    expect(commandColumn("sh")).toBe('"sh"');
    expect(commandColumn("sh -c 'echo hello; sleep 100'", false)).toBe("\"sh -c 'echo hello; sleep 100'\"");
    expect(commandColumn('echo "x"\tz', false)).toBe('"echo \\"x\\"\\tz"');
  });
});

describe("widths", () => {
  test("ellipsis (Docker's test table)", () => {
    const cases: [string, number, string][] = [
      ["t🐳ststring", 0, ""],
      ["t🐳ststring", 1, "t"],
      ["t🐳ststring", 2, "t…"],
      ["t🐳ststring", 6, "t🐳st…"],
      ["t🐳ststring", 20, "t🐳ststring"],
      ["你好世界teststring", 0, ""],
      ["你好世界teststring", 1, "你"],
      ["你好世界teststring", 3, "你…"],
      ["你好世界teststring", 6, "你好…"],
      ["你好世界teststring", 20, "你好世界teststring"],
      ["abcdef", 4, "abc…"],
      ["abc", 3, "abc"],
    ];
    for (const [s, w, out] of cases) expect(ellipsis(s, w)).toBe(out);
  });

  test("displayWidth counts wide characters twice and marks not at all", () => {
    expect(displayWidth("abc")).toBe(3);
    expect(displayWidth("日本語")).toBe(6);
    expect(displayWidth("🐳x")).toBe(3);
    expect(displayWidth("e\u0301")).toBe(1);
  });
});

describe("goTimeString", () => {
  test("Go's time.Time String in the local zone", () => {
    const s = goTimeString(new Date(Date.UTC(2024, 4, 1, 8, 0, 0)));
    expect(s).toMatch(/^2024-05-0[12] \d\d:00:00 [+-]\d{4} [A-Z0-9+-]+$/);
  });
  test("fractions print only as far as needed", () => {
    expect(goTimeString(new Date(Date.UTC(2024, 4, 1, 8, 0, 0, 500)))).toMatch(/:00\.5 /);
  });
});
