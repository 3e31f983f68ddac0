import { describe, expect, test } from "vitest";
import { decodeEvent, encodeEvent, fitEvent, LINE_MAX, makeEvent } from "../../../src/events/event.js";

// The event's JSON is the docker CLI's `--format '{{json .}}'` line.

describe("event encoding", () => {
  test("a container event carries Docker's legacy fields, in Go's field order, attributes sorted", () => {
    const e = makeEvent("container", "die", { ID: "abc", Attributes: { name: "web", image: "busybox", exitCode: "3", "com.example": "x" } }, 1_700_000_000_123_456_789n);
    expect(encodeEvent(e)).toBe(
      '{"status":"die","id":"abc","from":"busybox","Type":"container","Action":"die","Actor":{"ID":"abc","Attributes":{"com.example":"x","exitCode":"3","image":"busybox","name":"web"}},"scope":"local","time":1700000000,"timeNano":1700000000123456789}',
    );
  });

  test("image events have status and id but no from; volume events neither", () => {
    const i = makeEvent("image", "tag", { ID: "sha256:1", Attributes: { name: "x:1" } }, 5_000_000_000n);
    expect(encodeEvent(i)).toBe('{"status":"tag","id":"sha256:1","Type":"image","Action":"tag","Actor":{"ID":"sha256:1","Attributes":{"name":"x:1"}},"scope":"local","time":5,"timeNano":5000000000}');
    const v = makeEvent("volume", "create", { ID: "data", Attributes: { driver: "local" } }, 5_000_000_000n);
    expect(encodeEvent(v)).toBe('{"Type":"volume","Action":"create","Actor":{"ID":"data","Attributes":{"driver":"local"}},"scope":"local","time":5,"timeNano":5000000000}');
  });

  test("strings are escaped as Go does, without HTML escaping", () => {
    const e = makeEvent("container", "x", { ID: "i", Attributes: { a: 'q"\\\n\t<&>\u0001\u2028é' } }, 1n);
    expect(encodeEvent(e)).toContain('"a":"q\\"\\\\\\n\\t<&>\\u0001\\u2028é"');
    expect(JSON.parse(encodeEvent(e)).Actor.Attributes.a).toBe('q"\\\n\t<&>\u0001\u2028é');
  });

  test("decoding keeps timeNano exact, and rejects torn lines", () => {
    const e = makeEvent("container", "start", { ID: "abc", Attributes: { name: "n", image: "i" } }, 1_799_999_999_999_999_999n);
    const back = decodeEvent(encodeEvent(e))!;
    expect(back.timeNano).toBe(1_799_999_999_999_999_999n);
    expect(back).toEqual(e);
    expect(decodeEvent(encodeEvent(e).slice(0, 40))).toBeUndefined();
    expect(decodeEvent('{"foo":1}')).toBeUndefined();
  });

  test("an event too long for one line loses its longest labels first, never name, image or exitCode", () => {
    const attrs: Record<string, string> = { name: "web", image: "busybox", exitCode: "0" };
    for (let i = 0; i < 40; i++) attrs[`label.${i}`] = "v".repeat(i * 10);
    const e = makeEvent("container", "die", { ID: "f".repeat(64), Attributes: attrs }, 1n);
    const fitted = fitEvent(e);
    expect(Buffer.byteLength(encodeEvent(fitted)) + 1).toBeLessThanOrEqual(LINE_MAX);
    expect(fitted.Actor.Attributes).toMatchObject({ name: "web", image: "busybox", exitCode: "0", "label.0": "" });
    expect(fitted.Actor.Attributes["label.39"]).toBeUndefined();
    // A short event is left as it is.
    const short = makeEvent("container", "die", { ID: "x", Attributes: { name: "a" } }, 1n);
    expect(fitEvent(short)).toBe(short);
  });
});
