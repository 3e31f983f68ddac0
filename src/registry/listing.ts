import { CATALOG_SCOPE, pullScope } from "./auth.js";
import { familiarName } from "./hosts.js";
import { header, readBody, type HttpResponse } from "./http.js";
import type { RegistrySession } from "./session.js";
import { SkiffError } from "../errors.js";

// Tag lists and the catalog, paginated by `n` and `last`; the registry says
// where the next page is with an RFC 8288 Link header (rel="next"), which we
// follow as given rather than rebuild
// (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-tags).

export interface PageOptions {
  /** Page size to ask for (the registry may give fewer). */
  n?: number;
  /** Start after this name. */
  last?: string;
}

export interface Page<T> {
  items: T[];
  /** Where the next page is, when the registry said there is one. */
  next?: URL;
  /** The `last` value of the next page, for callers who keep only strings. */
  nextLast?: string;
}

const MAX_LIST_BYTES = 16 * 1024 * 1024;
const MAX_PAGES = 10_000;

/** The rel="next" target of a Link header, resolved against the request URL. */
export function nextLink(value: string | undefined, base: URL): URL | undefined {
  if (!value) return undefined;
  for (const part of value.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>\s*(.*)$/.exec(part);
    if (!m) continue;
    if (/(?:^|;)\s*rel\s*=\s*"?(?:[^";]*\s)?next(?:\s[^";]*)?"?\s*(?:;|$)/i.test(m[2])) {
      try {
        return new URL(m[1], base);
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function withPage(path: string, o: PageOptions): string {
  const q = new URLSearchParams();
  if (o.n !== undefined) q.set("n", String(o.n));
  if (o.last !== undefined) q.set("last", o.last);
  const qs = q.toString();
  return qs ? `${path}?${qs}` : path;
}

function page<T>(s: RegistrySession, target: string | URL, scopes: string[], field: string, what: string): Promise<Page<T>> {
  return s.rereading(() => readPage<T>(s, target, scopes, field, what));
}

async function readPage<T>(s: RegistrySession, target: string | URL, scopes: string[], field: string, what: string): Promise<Page<T>> {
  const res: HttpResponse = await s.request({ method: "GET", target, scopes, headers: { Accept: "application/json" } });
  if (res.status !== 200) throw await s.statusError(res, what);
  const body = await readBody(res, s.timeoutMs, MAX_LIST_BYTES);
  let items: unknown;
  try {
    items = (JSON.parse(body.toString()) as Record<string, unknown>)[field];
  } catch {
    throw new SkiffError(`${what}: the registry sent malformed JSON`);
  }
  const next = nextLink(header(res, "link"), res.url);
  return { items: Array.isArray(items) ? (items.filter((x) => typeof x === "string") as T[]) : [], next, nextLast: next?.searchParams.get("last") ?? undefined };
}

export function tagsPage(s: RegistrySession, repo: string, o: PageOptions = {}, next?: URL): Promise<Page<string>> {
  return page<string>(s, next ?? withPage(`/v2/${repo}/tags/list`, o), [pullScope(repo)], "tags", `listing tags of ${familiarName(s.host, repo)}`);
}

export function catalogPage(s: RegistrySession, o: PageOptions = {}, next?: URL): Promise<Page<string>> {
  return page<string>(s, next ?? withPage("/v2/_catalog", o), [CATALOG_SCOPE], "repositories", `listing repositories of ${s.host}`);
}

/** Every page, following Link headers until there are none (or a registry loops). */
export async function all(first: () => Promise<Page<string>>, nextPage: (next: URL) => Promise<Page<string>>): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  let p = await first();
  for (let i = 0; ; i++) {
    out.push(...p.items);
    if (!p.next || seen.has(p.next.href) || i >= MAX_PAGES || !p.items.length) return out;
    seen.add(p.next.href);
    p = await nextPage(p.next);
  }
}
