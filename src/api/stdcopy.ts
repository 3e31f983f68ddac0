// Docker's multiplexed stream (moby api/pkg/stdcopy): when a container or
// exec has no TTY, stdout and stderr share one connection, each payload
// behind an 8-byte header [stream, 0, 0, 0, size as uint32 big-endian].
// Stream 3 carries an error from the engine itself; the docker CLI turns it
// into "error from daemon in stream: …". With a TTY there is a single stream
// and the bytes go raw.

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const SYSTEM_ERROR = 3;

export type StdStream = typeof STDIN | typeof STDOUT | typeof STDERR | typeof SYSTEM_ERROR;

/** The largest payload one header can carry. */
const MAX_FRAME = 0xffffffff;

/** One or more frames carrying `payload` on `stream` (empty payloads are not framed). */
export function frame(stream: StdStream, payload: Buffer): Buffer {
  if (payload.length === 0) return payload;
  if (payload.length <= MAX_FRAME) {
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(payload.length, 4);
    return Buffer.concat([header, payload]);
  }
  const parts: Buffer[] = [];
  for (let off = 0; off < payload.length; off += MAX_FRAME) parts.push(frame(stream, payload.subarray(off, off + MAX_FRAME)));
  return Buffer.concat(parts);
}

/** Splits a multiplexed byte stream back into frames, across any chunking (for logs readers and tests). */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  /** Feed bytes; returns the frames completed by them. */
  push(chunk: Buffer): { stream: number; payload: Buffer }[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: { stream: number; payload: Buffer }[] = [];
    while (this.pending.length >= 8) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      out.push({ stream: this.pending[0]!, payload: this.pending.subarray(8, 8 + size) });
      this.pending = this.pending.subarray(8 + size);
    }
    return out;
  }

  /** Bytes of an unfinished frame still held. */
  get buffered(): number {
    return this.pending.length;
  }
}
