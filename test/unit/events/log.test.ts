import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { EventFilters } from "../../../src/events/filters.js";
import { EventLog } from "../../../src/events/log.js";
import type { DockerEvent } from "../../../src/events/event.js";

// The event log on a real filesystem: appends, rotation, ranges, and a
// follower woken by the file changing.

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "skiff-events-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const names = (events: DockerEvent[]) => events.map((e) => e.Actor.Attributes.name);

describe("event log", () => {
  test("appends one line per event and reads them back in order", () => {
    const log = new EventLog(join(dir, "events", "events.log"));
    log.emit("container", "create", "a1", { name: "one", image: "busybox" });
    log.emit("container", "start", "a1", { name: "one", image: "busybox" });
    log.emit("volume", "create", "v", { driver: "local", name: "v" });
    const lines = readFileSync(log.path, "utf8").split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe("");
    expect(log.read().map((e) => `${e.Type} ${e.Action}`)).toEqual(["container create", "container start", "volume create"]);
    expect(statSync(log.path).mode & 0o777).toBe(0o600);
  });

  test("since and until select by the event's nanosecond time, both ends included", () => {
    const log = new EventLog(join(dir, "events.log"));
    const a = log.emit("container", "create", "x", { name: "a" });
    const b = log.emit("container", "create", "x", { name: "b" });
    const c = log.emit("container", "create", "x", { name: "c" });
    expect(a.timeNano < b.timeNano && b.timeNano < c.timeNano).toBe(true);
    expect(names(log.read({ since: b.timeNano }))).toEqual(["b", "c"]);
    expect(names(log.read({ until: b.timeNano }))).toEqual(["a", "b"]);
    expect(names(log.read({ since: b.timeNano, until: b.timeNano }))).toEqual(["b"]);
    expect(names(log.read({ filters: EventFilters.parse(["container=b"]) }))).toEqual(["b"]);
  });

  test("rotation keeps the previous file, and readers read both", () => {
    const log = new EventLog(join(dir, "events.log"), 2000);
    for (let i = 0; i < 30; i++) log.emit("container", "create", "x", { name: `n${i}` });
    expect(statSync(log.previousPath).size).toBeGreaterThan(2000);
    expect(statSync(log.path).size).toBeLessThanOrEqual(2000 + 300);
    const got = names(log.read());
    // Only the two newest generations are kept; what is there is the newest events, in order.
    expect(got.at(-1)).toBe("n29");
    expect(got.length).toBeGreaterThan(10);
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => `n${30 - got.length + i}`));
  });

  test("a line that is not an event (torn, or foreign) is skipped", () => {
    const log = new EventLog(join(dir, "events.log"));
    log.emit("container", "create", "x", { name: "a" });
    appendFileSync(log.path, '{"Type":"container","Act\n');
    log.emit("container", "create", "x", { name: "b" });
    expect(names(log.read())).toEqual(["a", "b"]);
  });

  test("follow: history only with since/until, then new events as they are written, across rotations", async () => {
    const log = new EventLog(join(dir, "events.log"), 700);
    const old = log.emit("container", "create", "x", { name: "old" });
    const abort = new AbortController();
    const follower = log.follow({ signal: abort.signal });
    const withHistory = log.follow({ since: old.timeNano, signal: abort.signal });
    expect(names([(await withHistory.next()).value as DockerEvent])).toEqual(["old"]);
    // The 700-byte limit rotates the file every few events; the followers see each event once, in order.
    for (let i = 0; i < 12; i++) {
      const pending = follower.next();
      log.emit("container", "start", "x", { name: `e${i}` });
      const e = (await pending).value as DockerEvent;
      expect(e.Actor.Attributes.name).toBe(`e${i}`);
      expect(((await withHistory.next()).value as DockerEvent).Actor.Attributes.name).toBe(`e${i}`);
    }
    abort.abort();
    expect((await follower.next()).done).toBe(true);
    expect((await withHistory.next()).done).toBe(true);
  });

  test("follow with a past until prints the range and ends; with a future one it ends at that time", async () => {
    const log = new EventLog(join(dir, "events.log"));
    const a = log.emit("container", "create", "x", { name: "a" });
    log.emit("container", "create", "x", { name: "b" });
    const past: DockerEvent[] = [];
    for await (const e of log.follow({ until: a.timeNano })) past.push(e);
    expect(names(past)).toEqual(["a"]);
    const soon = BigInt(Date.now() + 300) * 1_000_000n;
    const got: DockerEvent[] = [];
    const done = (async () => {
      for await (const e of log.follow({ until: soon })) got.push(e);
    })();
    await done;
    expect(BigInt(Date.now()) * 1_000_000n).toBeGreaterThan(soon);
    expect(names(got)).toEqual(["a", "b"]);
  });

  test("following a log that does not exist yet waits for its first event", async () => {
    const log = new EventLog(join(dir, "sub", "events.log"));
    const abort = new AbortController();
    const follower = log.follow({ signal: abort.signal, filters: EventFilters.parse(["event=die"]) });
    const pending = follower.next();
    log.emit("container", "start", "x", { name: "s" });
    log.emit("container", "die", "x", { name: "d", exitCode: "0" });
    expect(((await pending).value as DockerEvent).Actor.Attributes.name).toBe("d");
    abort.abort();
    await follower.return(undefined);
  });
});
