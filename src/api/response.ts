import { STATUS_CODES, type ServerResponse } from "node:http";
import { API_VERSION, VERSION } from "../version.js";
import { errorBody, errorMessage, errorStatus } from "./errors.js";

// Writing answers. Every response carries what moby's middleware sets
// (Api-Version, Ostype, Server) plus Docker-Experimental, which the docker
// CLI reads from any response. JSON bodies end in a newline, as Go's
// json.Encoder writes them. Long-poll answers (wait, events, logs with
// follow, stats) flush their headers at once: the docker CLI waits for the
// headers of `wait` before it starts the container, and docker-py times out
// on `events` without them.

export function commonHeaders(): Record<string, string> {
  return {
    "Api-Version": API_VERSION,
    Ostype: "linux",
    Server: `skiff/${VERSION} (linux)`,
    "Docker-Experimental": "false",
  };
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = `${JSON.stringify(value)}\n`;
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

/** A status with no body (201, 204, 304, or 200 for endpoints that answer nothing). */
export function sendStatus(res: ServerResponse, status: number): void {
  // 204 and 304 must not carry a Content-Length of their own (RFC 9110 §8.6).
  res.writeHead(status, status === 204 || status === 304 ? {} : { "Content-Length": 0 });
  res.end();
}

export function sendText(res: ServerResponse, status: number, text: string, contentType = "text/plain; charset=utf-8"): void {
  res.writeHead(status, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/** The error answer; `plainText` for clients too old to read JSON errors (API < 1.24). */
export function sendError(res: ServerResponse, err: unknown, plainText = false): void {
  const status = errorStatus(err);
  if (status === 304) return sendStatus(res, 304);
  if (plainText) return sendText(res, status, `${errorMessage(err)}\n`);
  sendJson(res, status, errorBody(err));
}

/** 200 with the headers sent now; the body follows when there is something to say. */
export function openLongPoll(res: ServerResponse, contentType = "application/json"): ServerResponse {
  res.writeHead(200, { "Content-Type": contentType });
  res.flushHeaders();
  return res;
}

/** A complete HTTP/1.1 response as bytes, for sockets the HTTP server no longer writes (upgrade requests). */
export function rawResponse(status: number, body: string, contentType = "application/json", extra: Record<string, string> = {}): string {
  const headers = { ...commonHeaders(), "Content-Type": contentType, "Content-Length": String(Buffer.byteLength(body)), Connection: "close", ...extra };
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Unknown"}\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("")}\r\n${body}`;
}

export function rawErrorResponse(err: unknown): string {
  return rawResponse(errorStatus(err), `${JSON.stringify(errorBody(err))}\n`);
}
