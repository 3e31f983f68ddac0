import { describe, expect, test } from "vitest";
import { makeEvent, type DockerEvent } from "../../../src/events/event.js";
import { EventFilters, familiarName } from "../../../src/events/filters.js";

// Docker's matching rules (moby daemon/events/filter.go).

const ctr = (action: string, attrs: Record<string, string> = {}, id = "0123456789abcdef") =>
  makeEvent("container", action, { ID: id, Attributes: { name: "web-1", image: "busybox:latest", "com.docker.compose.service": "web", ...attrs } }, 1n);
const img = (action: string, id: string, name: string) => makeEvent("image", action, { ID: id, Attributes: { name } }, 1n);
const vol = (action: string, name: string) => makeEvent("volume", action, { ID: name, Attributes: { driver: "local" } }, 1n);
const match = (filters: string[], e: DockerEvent) => EventFilters.parse(filters).matches(e);

describe("event filters", () => {
  test("no filter matches everything", () => {
    expect(match([], ctr("die"))).toBe(true);
  });

  test("type and event match exactly; several values of a key are alternatives", () => {
    expect(match(["type=container"], ctr("die"))).toBe(true);
    expect(match(["type=image"], ctr("die"))).toBe(false);
    expect(match(["event=die"], ctr("die"))).toBe(true);
    expect(match(["event=di"], ctr("die"))).toBe(false);
    expect(match(["event=start", "event=die"], ctr("die"))).toBe(true);
    expect(match(["event=start", "event=stop"], ctr("die"))).toBe(false);
  });

  test("health_status, exec_create and exec_start also match their long actions", () => {
    expect(match(["event=health_status"], ctr("health_status: healthy"))).toBe(true);
    expect(match(["event=health_status: healthy"], ctr("health_status: healthy"))).toBe(true);
    expect(match(["event=health_status: unhealthy"], ctr("health_status: healthy"))).toBe(false);
    expect(match(["event=exec_start"], ctr("exec_start: sh -c true"))).toBe(true);
    expect(match(["event=exec_die"], ctr("exec_die"))).toBe(true);
  });

  test("container matches the id or the name, exactly or as a prefix, and drops other types", () => {
    expect(match(["container=web-1"], ctr("die"))).toBe(true);
    expect(match(["container=web"], ctr("die"))).toBe(true);
    expect(match(["container=0123"], ctr("die"))).toBe(true);
    expect(match(["container=db"], ctr("die"))).toBe(false);
    expect(match(["container=web-1"], img("pull", "busybox:latest", "busybox"))).toBe(false);
    expect(match(["volume=data"], vol("create", "data"))).toBe(true);
    expect(match(["volume=data"], ctr("die"))).toBe(false);
  });

  test("image matches ids and names, with or without tag, for image and container events", () => {
    expect(match(["image=busybox"], img("pull", "busybox:latest", "busybox"))).toBe(true);
    expect(match(["image=busybox:latest"], img("pull", "busybox:latest", "busybox"))).toBe(true);
    expect(match(["image=busybox"], ctr("start"))).toBe(true);
    expect(match(["image=alpine"], ctr("start"))).toBe(false);
    expect(match(["image=sha256:" + "a".repeat(64)], img("delete", "sha256:" + "a".repeat(64), "sha256:" + "a".repeat(64)))).toBe(true);
  });

  test("label=k needs the attribute, label=k=v its value; every label filter must hold", () => {
    expect(match(["label=com.docker.compose.service"], ctr("die"))).toBe(true);
    expect(match(["label=com.docker.compose.service=web"], ctr("die"))).toBe(true);
    expect(match(["label=com.docker.compose.service=db"], ctr("die"))).toBe(false);
    expect(match(["label=com.docker.compose.service=web", "label=missing"], ctr("die"))).toBe(false);
    expect(match(["label=driver=local"], vol("create", "x"))).toBe(true);
  });

  test("keys are case-insensitive and trimmed; unknown keys are ignored; a filter without = is refused", () => {
    expect(match([" Type = container"], ctr("die"))).toBe(true);
    expect(match(["whatever=1"], ctr("die"))).toBe(true);
    expect(() => EventFilters.parse(["container"])).toThrow("bad format of filter (expected name=value)");
  });

  test("the daemon filter drops what is not the daemon's, as Docker's does", () => {
    expect(match(["daemon=xyz"], ctr("die"))).toBe(false);
  });

  test("familiar names", () => {
    expect(familiarName("docker.io/library/busybox:latest")).toBe("busybox");
    expect(familiarName("localhost:5000/a/b:1")).toBe("localhost:5000/a/b");
    expect(familiarName("busybox@sha256:" + "0".repeat(64))).toBe("busybox");
    expect(familiarName("sha256:" + "0".repeat(64))).toBe("sha256:" + "0".repeat(64));
  });
});
