import { setTimeout as sleep } from "node:timers/promises";

// When to try again. Registries (and the CDNs in front of them) fail
// transiently: 5xx during deploys, 429 under rate limits, resets from load
// balancers. Idempotent requests are retried with exponential back-off
// (200 ms, 400 ms, 800 ms, … capped), and a 429/503's Retry-After is honoured
// when it is short enough to be worth waiting for.

export interface RetryPolicy {
  /** Total tries, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the error is returned. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 200, maxDelayMs: 1600, maxRetryAfterMs: 30_000 };

/** Delay before try number `attempt` (1 = the first retry), with ±20 % jitter so clients do not march in step. */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  const raw = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(raw * (0.8 + Math.random() * 0.4));
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504 || status === 500;
}

export { sleep };
