import { InvalidArgumentError } from "./errors.js";

// Go durations ("30s", "1m30s", "1.5h", "250ms"), parsed as Go's
// time.ParseDuration does, to nanoseconds: Docker takes them in HEALTHCHECK
// flags, --health-* options and relative --since/--until times, and words
// its errors as Go does.
// https://pkg.go.dev/time#ParseDuration

const UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  "\u00b5s": 1e3, // micro sign
  "\u03bcs": 1e3, // Greek small letter mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

export function parseGoDuration(text: string): number {
  const quoted = JSON.stringify(text);
  let s = text;
  let sign = 1;
  if (s.startsWith("-") || s.startsWith("+")) {
    if (s[0] === "-") sign = -1;
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") throw new InvalidArgumentError(`time: invalid duration ${quoted}`);
  let total = 0;
  while (s !== "") {
    const num = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    if (num[0] === "" || num[0] === ".") throw new InvalidArgumentError(`time: invalid duration ${quoted}`);
    s = s.slice(num[0].length);
    const unit = /^[^\d.]*/.exec(s)![0];
    if (unit === "") throw new InvalidArgumentError(`time: missing unit in duration ${quoted}`);
    const scale = UNITS[unit];
    if (scale === undefined) throw new InvalidArgumentError(`time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}`);
    s = s.slice(unit.length);
    total += Number(`${num[1] || "0"}.${num[2] || "0"}`) * scale;
  }
  return sign * Math.round(total);
}
