import type { ServerResponse } from "node:http";
import { Writable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import type { CopyEvent } from "../image/transport.js";
import { errorMessage } from "./errors.js";
import { progressMessage, type JsonMessage } from "./progress.js";
import { sendError } from "./response.js";

// Docker's JSON message streams: pull, push, load, import, build. One JSON
// object per line ("\r\n", as moby's streamformatter writes), chunked.
// The 200 goes out with the first message, as moby's WriteFlusher sends it:
// a request that fails before saying anything (an image that does not
// exist, a bad parameter) still gets a real status and {"message"}, which
// the docker CLI prints as "Error response from daemon" and docker-py raises
// as NotFound or APIError. Once the 200 is out an error can only travel
// inside the stream, as {"errorDetail":{"message":m},"error":m}: the docker
// CLI's jsonmessage and docker-py's build raise on it; dockerode's
// followProgress hands it back as the last message.
// docker-py reads a response that is not chunked as one final result, so
// nothing here sets a Content-Length.

export class JsonMessageStream {
  private ended = false;
  private started = false;

  /** `startNow`: the 200 at once, so that even the first error is in-band (moby's image load answers so). */
  constructor(
    private readonly res: ServerResponse,
    opts: { startNow?: boolean } = {},
  ) {
    if (opts.startNow) this.start();
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.res.writeHead(200, { "Content-Type": "application/json" });
    this.res.flushHeaders();
  }

  /** False once the client has gone: long work may stop early. */
  get open(): boolean {
    return !this.ended && !this.res.destroyed;
  }

  write(message: JsonMessage): void {
    if (!this.open) return;
    this.start();
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

  /**
   * A writable whose every write is one {"stream": text} message: the
   * builder's output, as moby's classic builder sends it (chunk by chunk;
   * the builder writes each of its own lines in one piece, which is what
   * compose 1.29's and docker-py's "Successfully built" patterns need).
   */
  textWriter(): Writable {
    // A character split between two chunks of a program's output is kept whole.
    const utf8 = new StringDecoder("utf8");
    return new Writable({
      decodeStrings: false,
      write: (chunk: Buffer | string, _enc, cb) => {
        const text = typeof chunk === "string" ? chunk : utf8.write(chunk);
        if (text) this.stream(text);
        cb();
      },
    });
  }

  /** Out-of-band data: the pushed digest, a built image's ID. */
  aux(value: unknown): void {
    this.write({ aux: value });
  }

  /** A layer's progress as Docker's pull/push lines (pass as a verb's progress callback). */
  readonly progress = (e: CopyEvent): void => {
    this.write(progressMessage(e));
  };

  /** The error in-band, then the end of the stream; before the first message, an ordinary error answer. */
  fail(err: unknown): void {
    if (!this.started && !this.res.headersSent) {
      this.ended = true;
      if (!this.res.destroyed) sendError(this.res, err);
      return;
    }
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
