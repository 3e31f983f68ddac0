import { parseGoDuration } from "../duration.js";
import { InvalidArgumentError } from "../errors.js";

// The times `events --since/--until` take, to nanoseconds, in the docker
// CLI's rules (its api/types/time GetTimestamp): a Go duration back from now
// (whole seconds, as the CLI sends them), an RFC 3339 date or date-time
// (local time when it names no zone), or Unix seconds with an optional
// fraction, which is also the form the Engine API's since/until carry.

const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?([Zz]|[+-]\d{2}:\d{2})?$/;

/** "SECONDS[.FRACTION]" (the API's form) to nanoseconds. */
export function parseUnixTimestamp(value: string): bigint {
  const m = /^(-?\d+)(?:\.(\d{1,9})\d*)?$/.exec(value);
  if (!m) throw new InvalidArgumentError(`failed to parse value as time or duration: ${JSON.stringify(value)}`, "use a time like 2024-01-02T15:04:05Z, Unix seconds, or a duration like 10m");
  return BigInt(m[1]!) * 1_000_000_000n + BigInt((m[2] ?? "").padEnd(9, "0"));
}

function parseDate(value: string, now: Date): bigint | undefined {
  const m = DATE.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h = "0", mi = "0", s = "0", frac = "", zone] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const check = new Date(ms);
  if (Number.isNaN(ms) || check.getUTCDate() !== Number(d) || check.getUTCMonth() !== Number(mo) - 1 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59)
    throw new InvalidArgumentError(`parsing time ${JSON.stringify(value)}: out of range`, "use a valid date and time, e.g. 2024-01-02T15:04:05Z");
  // Without a zone, the CLI reads the time in the current local offset.
  let offsetMinutes = -now.getTimezoneOffset();
  if (zone === "Z" || zone === "z") offsetMinutes = 0;
  else if (zone) offsetMinutes = (zone[0] === "-" ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  return (BigInt(ms) - BigInt(offsetMinutes) * 60_000n) * 1_000_000n + BigInt(frac.padEnd(9, "0"));
}

/** A --since/--until value to Unix nanoseconds. */
export function parseTimestamp(value: string, now: Date = new Date()): bigint {
  if (value !== "0") {
    try {
      const ns = parseGoDuration(value);
      // GetTimestamp sends reference.Add(-d).Unix(): whole seconds.
      return BigInt(Math.floor((now.getTime() - ns / 1e6) / 1000)) * 1_000_000_000n;
    } catch {
      /* not a duration */
    }
  }
  const date = parseDate(value, now);
  if (date !== undefined) return date;
  if (value.includes("-") && !/^-?\d+(\.\d+)?$/.test(value))
    throw new InvalidArgumentError(`parsing time ${JSON.stringify(value)}: not an RFC 3339 time`, "use a time like 2024-01-02T15:04:05Z, Unix seconds, or a duration like 10m");
  return parseUnixTimestamp(value);
}
