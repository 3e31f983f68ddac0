import type { CopyEvent } from "../image/transport.js";
import { humanSize as goHumanSize } from "../gotext/units.js";

// The engine reports copy progress as neutral events (src/image/transport.ts
// CopyEvent); clients expect moby's lines for them:
//   {"status":"Pulling fs layer","progressDetail":{},"id":"a3ed95caeb02"}
//   {"status":"Downloading","progressDetail":{"current":n,"total":m},"progress":"[=>   ] 1.2MB/3.4MB","id":"…"}
//   {"status":"Digest: sha256:…"}
// A layer's status always has a progressDetail (moby's progress.Update); a
// message has none (progress.Message), with an id ("Pulling from", under the
// tag) or without ("Digest: …"). The "progress" text
// is the bar Docker before 25 computed on the server; compose 1.29 and
// docker-py print it, the docker CLI draws its own from progressDetail.

export interface JsonMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
  stream?: string;
  aux?: unknown;
  errorDetail?: { message: string; code?: number };
  error?: string;
}

/** go-units' HumanSize: decimal units, 4 significant digits ("2.217MB", "32.77kB", "512B"). */
export function humanSize(bytes: number): string {
  return goHumanSize(bytes, 4);
}

/** The bar of moby's JSONProgress.String() at its server-side width: 50 cells, then "current/total". */
export function progressBar(current: number, total: number): string {
  if (total <= 0) return current > 0 ? humanSize(current).padStart(8) : "";
  const filled = Math.min(Math.floor(Math.floor((current / total) * 100) / 2), 50);
  const bar = `[${"=".repeat(filled)}>${" ".repeat(Math.max(50 - filled, 0))}] `;
  const numbers = current > total ? humanSize(current).padStart(8) : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  return bar + numbers;
}

export function progressMessage(e: CopyEvent): JsonMessage {
  if (!e.id) return { status: e.status };
  if (e.message) return { status: e.status, id: e.id };
  if (e.current === undefined) return { status: e.status, progressDetail: {}, id: e.id };
  const detail = e.total ? { current: e.current, total: e.total } : { current: e.current };
  return { status: e.status, progressDetail: detail, progress: progressBar(e.current, e.total ?? 0), id: e.id };
}
