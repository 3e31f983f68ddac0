import { describe, expect, test } from "vitest";
import { LayerFormatError } from "../../../src/layer/errors.js";
import { BLOCK, decodeHeader, decodePax, encodeHeader, paxRecord } from "../../../src/layer/tar-format.js";
import { readTar, type TarEntry, type TarSink } from "../../../src/layer/tar-reader.js";
import { END, blocks, paxHeader, paxRecord as fixturePaxRecord, rawHeader, tarOf } from "../../fixtures/hostile-tars.js";

type Seen = Omit<TarEntry, "offset"> & { content: string };

class Collect implements TarSink {
  entries: Seen[] = [];
  private cur: Buffer[] = [];
  entry(e: TarEntry): void {
    const { offset: _, ...rest } = e;
    this.entries.push({ ...rest, content: "" });
    this.cur = [];
  }
  data(chunk: Buffer, start: number, end: number): void {
    this.cur.push(Buffer.from(chunk.subarray(start, end)));
  }
  end(): void {
    this.entries[this.entries.length - 1]!.content = Buffer.concat(this.cur).toString("latin1");
  }
}

async function parse(tar: Buffer, chunk = tar.length || 1): Promise<Seen[]> {
  const parts: Buffer[] = [];
  for (let i = 0; i < tar.length; i += chunk) parts.push(tar.subarray(i, i + chunk));
  const sink = new Collect();
  await readTar(
    (async function* () {
      yield* parts;
    })(),
    sink,
  );
  return sink.entries;
}

describe("tar reader", () => {
  test("reads tar-stream's output, whatever the chunking", async () => {
    const tar = await tarOf([
      { name: "dir/", type: "directory", mode: 0o755 },
      { name: "dir/file", data: "x".repeat(1000), uid: 1000, gid: 100 },
      { name: "dir/empty", data: "" },
      { name: "dir/link", type: "symlink", linkname: "file" },
      { name: "dir/hard", type: "link", linkname: "dir/file" },
      { name: `long/${"n".repeat(200)}`, data: "long" },
      { name: "fifo", type: "fifo" },
    ]);
    const whole = await parse(tar);
    expect(whole.map((e) => [e.type, e.name, e.size])).toEqual([
      ["directory", "dir/", 0],
      ["file", "dir/file", 1000],
      ["file", "dir/empty", 0],
      ["symlink", "dir/link", 0],
      ["hardlink", "dir/hard", 0],
      ["file", `long/${"n".repeat(200)}`, 4],
      ["fifo", "fifo", 0],
    ]);
    expect(whole[1]).toMatchObject({ uid: 1000, gid: 100, content: "x".repeat(1000), mtime: 1_600_000_000 });
    expect(whole[3]!.linkname).toBe("file");
    for (const size of [1, 7, 511, 512, 513, 4096]) expect(await parse(tar, size), `chunks of ${size}`).toEqual(whole);
  });

  test("PAX records: names, sizes, owners, fractional mtimes and binary xattrs, byte for byte", async () => {
    const cap = Buffer.from("0100000280200000000000000000000000000000", "hex");
    const records = Buffer.concat([
      fixturePaxRecord("path", Buffer.from([0x6c, 0xe9, 0x2f, 0xff])), // not UTF-8
      fixturePaxRecord("uid", "3000000"),
      fixturePaxRecord("mtime", "1600000000.25"),
      fixturePaxRecord("SCHILY.xattr.security.capability", cap),
      fixturePaxRecord("SCHILY.xattr.user.a=b", "v"),
    ]);
    const tar = Buffer.concat([paxHeader(records), rawHeader({ name: "short", size: 3 }), blocks(Buffer.from("abc")), END]);
    const [e] = await parse(tar, 100);
    expect(e!.name).toBe("l\xe9/\xff");
    expect(e!.uid).toBe(3_000_000);
    expect(e!.mtime).toBe(1_600_000_000.25);
    expect(Buffer.from(e!.xattrs!.get("security.capability")!, "latin1")).toEqual(cap);
    expect(e!.xattrs!.get("user.a")).toBe("b=v"); // a keyword ends at the first "="
    expect(e!.content).toBe("abc");
  });

  test("GNU long names and links; global headers are ignored", async () => {
    const name = Buffer.from(`${"x".repeat(300)}\0`);
    const link = Buffer.from(`${"y".repeat(200)}\0`);
    const tar = Buffer.concat([
      paxHeader(fixturePaxRecord("comment", "global")).fill(0x67, 156, 157), // typeflag g
      rawHeader({ name: "././@LongLink", typeflag: "L", size: name.length }),
      blocks(name),
      rawHeader({ name: "././@LongLink", typeflag: "K", size: link.length }),
      blocks(link),
      rawHeader({ name: "trunc", typeflag: "2", linkname: "trunc" }),
      END,
    ]);
    // Fix the checksum of the retyped global header.
    const g = rawHeader({ name: "PaxHeaders/x", typeflag: "g", size: fixturePaxRecord("comment", "global").length });
    g.copy(tar, 0);
    const [e] = await parse(tar);
    expect(e).toMatchObject({ type: "symlink", name: "x".repeat(300), linkname: "y".repeat(200) });
  });

  test("a clean end without the end-of-archive blocks, or with one, is accepted; bytes after the end are drained", async () => {
    const one = Buffer.concat([rawHeader({ name: "a", size: 1 }), blocks(Buffer.from("a"))]);
    expect(await parse(one)).toHaveLength(1);
    expect(await parse(Buffer.concat([one, Buffer.alloc(512)]))).toHaveLength(1);
    expect(await parse(Buffer.concat([one, END, Buffer.from("trailing junk after the archive")]))).toHaveLength(1);
    expect(await parse(Buffer.alloc(0))).toEqual([]);
  });

  test("broken streams fail with a LayerFormatError that says where", async () => {
    const one = Buffer.concat([rawHeader({ name: "a", size: 1000 }), blocks(Buffer.alloc(1000, 1))]);
    const cases: [Buffer, RegExp][] = [
      [one.subarray(0, 700), /truncated at byte 700 \(after entry a\)/],
      [one.subarray(0, 300), /truncated at byte 0 \(the first entry\)/],
      [Buffer.concat([one, rawHeader({ name: "b", checksumDelta: 1 })]), /checksum mismatch at byte 1536 \(after entry a\)/],
      [Buffer.concat([rawHeader({ name: "f", typeflag: "S" }), END]), /unsupported type "S" \(GNU sparse file\)/],
      [Buffer.concat([paxHeader(Buffer.from("garbage\n")), rawHeader({ name: "f" }), END]), /malformed PAX extended header record/],
      [Buffer.concat([paxHeader(fixturePaxRecord("size", "-1")), rawHeader({ name: "f" }), END]), /impossible PAX size/],
      [Buffer.concat([paxHeader(fixturePaxRecord("GNU.sparse.major", "1")), rawHeader({ name: "f" }), END]), /sparse file/],
      [Buffer.concat([paxHeader(fixturePaxRecord("path", "x")), END]), /extended header is not followed by an entry/],
      [Buffer.concat([rawHeader({ name: "f", sizeField: Buffer.from("0000000009x\0") }), END]), /malformed size field/],
    ];
    for (const [tar, why] of cases) {
      const err = await parse(tar).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, String(why)).toBeInstanceOf(LayerFormatError);
      expect((err as Error).message).toMatch(why);
    }
  });
});

describe("tar headers", () => {
  test("PAX record lengths count themselves", () => {
    expect(paxRecord("path", "a")).toBe("9 path=a\n");
    const r = paxRecord("k", "v".repeat(94)); // crosses from 2 to 3 digits
    expect(r.length).toBe(Number(r.split(" ")[0]));
    expect(decodePax(Buffer.from(r, "latin1"), () => "").get("k")).toBe("v".repeat(94));
  });

  test("encode → decode keeps every field; long or non-ASCII fields go to PAX", () => {
    const plain = encodeHeader({ name: "a/b", mode: 0o4755, uid: 1000, gid: 100, size: 12345, mtime: 1_600_000_000, typeflag: "0" });
    expect(plain.length).toBe(BLOCK);
    expect(decodeHeader(plain, 0, () => "")).toMatchObject({ name: "a/b", mode: 0o4755, uid: 1000, gid: 100, size: 12345, mtime: 1_600_000_000, typeflag: "0" });
    const long = encodeHeader({ name: "n".repeat(101), mode: 0o644, uid: 3_000_000, gid: 0, size: 0, mtime: 0, typeflag: "2", linkname: "t\xe9" });
    const x = decodeHeader(long, 0, () => "")!;
    expect(x.typeflag).toBe("x");
    const pax = decodePax(long.subarray(BLOCK, BLOCK + x.size), () => "");
    expect(Object.fromEntries(pax)).toEqual({ path: "n".repeat(101), linkpath: "t\xe9", uid: "3000000", hdrcharset: "BINARY" });
  });

  test("an all-zero block is the end marker; base-256 numbers are read", () => {
    expect(decodeHeader(Buffer.alloc(512), 0, () => "")).toBeNull();
    const h = rawHeader({ name: "big", sizeField: Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0]) });
    expect(decodeHeader(h, 0, () => "")!.size).toBe(0x20000);
  });
});
