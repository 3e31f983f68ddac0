import { describe, expect, test } from "vitest";
import { parseSubid } from "../../../src/userns/subid.js";
import { computeMapping, formatMap, toHost } from "../../../src/userns/mapping.js";

describe("subid files", () => {
  const text = [
    "# comment",
    "alice:100000:65536",
    "1001:300000:1000",
    "bob:165536:65536",
    "alice:500000:10",
    "broken line",
    "alice:x:10",
    "alice:600000:0",
    "",
  ].join("\n");

  test("entries by name and by numeric uid, several ranges, in file order", () => {
    expect(parseSubid(text, "alice", 1001)).toEqual([
      { start: 100000, count: 65536 },
      { start: 300000, count: 1000 },
      { start: 500000, count: 10 },
    ]);
    expect(parseSubid(text, "bob", 1002)).toEqual([{ start: 165536, count: 65536 }]);
    expect(parseSubid(text, "carol", 1003)).toEqual([]);
  });
});

describe("id mapping", () => {
  test("own id at 0, subordinate ranges laid end to end from 1", () => {
    const m = computeMapping({
      uid: 1001,
      gid: 1001,
      user: "alice",
      subuid: [
        { start: 100000, count: 65536 },
        { start: 300000, count: 1000 },
      ],
      subgid: [{ start: 100000, count: 65536 }],
    });
    expect(formatMap(m.uidMap)).toBe("0 1001 1 1 100000 65536 65537 300000 1000");
    expect(formatMap(m.gidMap)).toBe("0 1001 1 1 100000 65536");
    expect(m.singleId).toBe(false);
    expect(m.needsHelpers).toBe(true);
    expect(toHost(m.uidMap, 0)).toBe(1001);
    expect(toHost(m.uidMap, 1000)).toBe(100999);
    expect(toHost(m.uidMap, 65537)).toBe(300000);
    expect(toHost(m.uidMap, 66537)).toBeUndefined();
  });

  test("no ranges: single-id fallback written without helpers", () => {
    const m = computeMapping({ uid: 1001, gid: 1002, user: "alice", subuid: [], subgid: [] });
    expect(formatMap(m.uidMap)).toBe("0 1001 1");
    expect(formatMap(m.gidMap)).toBe("0 1002 1");
    expect(m.singleId).toBe(true);
    expect(m.needsHelpers).toBe(false);
  });

  test("root: its own range when it has one, else the identity map; never the setuid helpers", () => {
    const withRange = computeMapping({ uid: 0, gid: 0, user: "root", subuid: [{ start: 1000000, count: 65536 }], subgid: [{ start: 1000000, count: 65536 }] });
    expect(formatMap(withRange.uidMap)).toBe("0 0 1 1 1000000 65536");
    expect(withRange.needsHelpers).toBe(false);
    const without = computeMapping({ uid: 0, gid: 0, user: "root", subuid: [], subgid: [] });
    expect(formatMap(without.uidMap)).toBe("0 0 4294967295");
    expect(without.singleId).toBe(false);
  });
});
