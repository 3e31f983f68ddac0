import type { ApiCall } from "./call.js";
import type { StreamSession } from "./hijack.js";

// The route table: method + path pattern, first match wins, as moby's
// router lists (daemon/server/router/*/…go). Patterns use moby's syntax:
// `{id}` is one path segment, `{name:.*}` is greedy because image and
// container names contain "/" and ":" (POST /images/127.0.0.1:5000/a/b:1/tag).
// A radix router cannot express a greedy segment followed by a suffix, and
// some forty regexes tried in order are fast enough for a per-user socket.

/** An ordinary endpoint: decode the call, run an engine verb, write the answer. */
export type Handler = (call: ApiCall) => Promise<void>;

/**
 * An attach/exec-start endpoint: open the session (after checks that may
 * still fail with an HTTP error); the server then owns the connection.
 * Undefined means nothing to stream (exec start with Detach): a plain 200.
 */
export type SessionOpener = (call: ApiCall) => Promise<StreamSession | undefined>;

export interface Route {
  method: string;
  /** "/containers/{name:.*}/json" — without the /vX.Y prefix. */
  path: string;
  handle?: Handler;
  hijack?: SessionOpener;
}

interface CompiledRoute {
  route: Route;
  regex: RegExp;
  names: string[];
}

export type RouteMatch =
  | { kind: "route"; route: Route; params: Record<string, string> }
  | { kind: "method-not-allowed"; allow: string[] }
  | { kind: "not-found" };

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  let source = "";
  let last = 0;
  for (const m of route.path.matchAll(/\{(\w+)(?::([^}]+))?\}/g)) {
    source += escapeRegex(route.path.slice(last, m.index));
    names.push(m[1]!);
    source += m[2] ? `(${m[2]})` : "([^/]+)";
    last = m.index! + m[0].length;
  }
  source += escapeRegex(route.path.slice(last));
  return { route, regex: new RegExp(`^${source}$`, "s"), names };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export class RouteTable {
  private readonly routes: CompiledRoute[];

  constructor(routes: Route[]) {
    for (const r of routes)
      if (!r.handle === !r.hijack) throw new Error(`route ${r.method} ${r.path}: give exactly one of handle and hijack`);
    this.routes = routes.map(compile);
  }

  /** Match a decoded path (no version prefix, no query). */
  match(method: string, path: string): RouteMatch {
    const allow = new Set<string>();
    for (const c of this.routes) {
      const m = c.regex.exec(path);
      if (!m) continue;
      if (c.route.method !== method) {
        allow.add(c.route.method);
        continue;
      }
      const params: Record<string, string> = {};
      c.names.forEach((n, i) => (params[n] = m[i + 1] ?? ""));
      return { kind: "route", route: c.route, params };
    }
    return allow.size ? { kind: "method-not-allowed", allow: [...allow] } : { kind: "not-found" };
  }
}
