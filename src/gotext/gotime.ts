import { readlinkSync } from "node:fs";
// Go's two common renderings of a time.Time, which Docker shows as-is:
// `String()` in local time ("2024-05-01 10:00:00 +0200 CEST", the CREATED AT
// column) and RFC 3339 with nanoseconds in JSON ("2024-05-01T08:00:00.5Z").

const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, "0");

/** Fraction of a second as Go prints it: trailing zeros dropped, none if zero. */
function fraction(d: Date): string {
  const ms = d.getMilliseconds();
  return ms === 0 ? "" : "." + pad(ms, 3).replace(/0+$/, "");
}

function offset(minutesEast: number, colon: boolean): string {
  const sign = minutesEast < 0 ? "-" : "+";
  return sign + pad(Math.trunc(minutesEast / 60)) + (colon ? ":" : "") + pad(minutesEast % 60);
}

// Intl names a zone per locale ("GMT+1" in en-US is "CET" in en-GB): ask a few.
const ZONE_LOCALES = ["en-US", "en-GB", "en-AU", "en-IN", "ja-JP"];
let zoneFormats: Intl.DateTimeFormat[] | undefined;

/**
 * The zone abbreviation Go prints. Go reads it from the tz database; where
 * no locale knows a letter name, the database's own is numeric, like "+02".
 */
/** Whether local time is plain UTC, decided without Intl (whose first use costs ~15 ms of ICU loading). */
function systemIsUtc(): boolean {
  const tz = process.env.TZ;
  if (tz !== undefined) return ["", "UTC", "Etc/UTC", "UTC0", ":UTC", "Universal", "Zulu"].includes(tz);
  try {
    return /(^|\/)(Etc\/)?(UTC|UCT|Universal|Zulu)$/.test(readlinkSync("/etc/localtime"));
  } catch (e) {
    // No /etc/localtime means UTC to the C library.
    return (e as NodeJS.ErrnoException).code === "ENOENT";
  }
}

let utc: boolean | undefined;

function zoneName(d: Date, minutesEast: number): string {
  if (minutesEast === 0 && (utc ??= systemIsUtc())) return "UTC";
  zoneFormats ??= ZONE_LOCALES.map((l) => new Intl.DateTimeFormat(l, { timeZoneName: "short" }));
  for (const f of zoneFormats) {
    const name = f.formatToParts(d).find((p) => p.type === "timeZoneName")?.value;
    if (name && /^[A-Z]{2,5}$/.test(name)) return name;
  }
  if (minutesEast === 0) return "UTC";
  const m = minutesEast % 60;
  return (minutesEast < 0 ? "-" : "+") + pad(Math.trunc(minutesEast / 60)) + (m ? pad(m) : "");
}

/** Go's time.Time.String() for a local time, without the monotonic clock part. */
export function goTimeString(d: Date): string {
  const east = -d.getTimezoneOffset();
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${fraction(d)} ` +
    `${offset(east, false)} ${zoneName(d, east)}`
  );
}

/** Go's RFC 3339 with nanoseconds, in UTC, as encoding/json writes a time. */
export function goTimeRFC3339(d: Date): string {
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${fraction(d)}Z`
  );
}

