import type { ServerResponse } from "node:http";
import type { CopyEvent } from "../image/transport.js";
import { errorMessage } from "./errors.js";
import { progressMessage, type JsonMessage } from "./progress.js";

// Docker's JSON message streams: pull, push, load, import, build. One JSON
// object per line ("\r\n", as moby's streamformatter writes), chunked, the
// 200 and its headers sent at once. Once the 200 is out an error can only
// travel inside the stream, as {"errorDetail":{"message":m},"error":m}: the
// docker CLI's jsonmessage, docker-py and dockerode's followProgress raise on
// it. docker-py reads a response that is not chunked as one final result,
// so nothing here sets a Content-Length.

export class JsonMessageStream {
  private ended = false;

  constructor(private readonly res: ServerResponse) {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.flushHeaders();
  }

  /** False once the client has gone: long work may stop early. */
  get open(): boolean {
    return !this.ended && !this.res.destroyed;
  }

  write(message: JsonMessage): void {
    if (!this.open) return;
    this.res.write(`${JSON.stringify(message)}\r\n`);
  }

  /** A line of text: {"status": "Pulling from library/busybox", "id": "latest"}. */
  status(status: string, id?: string): void {
    this.write(id ? { status, id } : { status });
  }

  /** Build output: {"stream": "Step 1/3 : FROM busybox\n"}. */
  stream(text: string): void {
    this.write({ stream: text });
  }

  /** Out-of-band data: the pushed digest, a built image's ID. */
  aux(value: unknown): void {
    this.write({ aux: value });
  }

  /** A layer's progress as Docker's pull/push lines (pass as a verb's progress callback). */
  readonly progress = (e: CopyEvent): void => {
    this.write(progressMessage(e));
  };

  /** The error in-band, then the end of the stream. */
  fail(err: unknown): void {
    const message = errorMessage(err);
    this.write({ errorDetail: { message }, error: message });
    this.end();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.res.destroyed) this.res.end();
  }
}
