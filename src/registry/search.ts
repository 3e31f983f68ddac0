import { SkiffError } from "../errors.js";
import type { RegistryClient } from "./client.js";
import { isDockerHub } from "./hosts.js";
import { readBody, send, USER_AGENT } from "./http.js";

// `search`: Docker Hub has a search API (GET https://index.docker.io/v1/search?q=&n=);
// other registries have none, so we list their catalog and keep the names
// containing the term, as Podman does. Rows carry Docker's columns
// (NAME DESCRIPTION STARS OFFICIAL, plus the older AUTOMATED).

export interface SearchResult {
  name: string;
  description: string;
  stars: number;
  official: boolean;
  automated: boolean;
}

export interface SearchOptions {
  /** At most this many results. Default 25 (Docker's default). */
  limit?: number;
  /** Docker Hub search endpoint (tests and mirrors may move it). */
  hubUrl?: string;
  timeoutMs?: number;
}

const DEFAULT_LIMIT = 25;
const HUB_SEARCH = "https://index.docker.io/v1/search";

async function searchHub(term: string, limit: number, opts: SearchOptions): Promise<SearchResult[]> {
  const url = new URL(opts.hubUrl ?? HUB_SEARCH);
  url.searchParams.set("q", term);
  url.searchParams.set("n", String(limit));
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const res = await send({ method: "GET", url, headers: { Accept: "application/json", "User-Agent": USER_AGENT }, timeoutMs });
  const body = await readBody(res, timeoutMs, 8 * 1024 * 1024);
  if (res.status !== 200) throw new SkiffError(`searching Docker Hub: received unexpected HTTP status: ${res.status}`, { hint: "try again later" });
  let v: { results?: unknown };
  try {
    v = JSON.parse(body.toString());
  } catch {
    throw new SkiffError("searching Docker Hub: malformed answer");
  }
  const rows = Array.isArray(v.results) ? (v.results as Record<string, unknown>[]) : [];
  return rows.slice(0, limit).map((r) => ({
    name: String(r.name ?? ""),
    description: String(r.description ?? ""),
    stars: Number(r.star_count ?? 0) || 0,
    official: r.is_official === true,
    automated: r.is_automated === true,
  }));
}

/** Repositories in the catalog whose name contains the term (case-insensitive), sorted. */
async function searchCatalog(client: RegistryClient, term: string, limit: number): Promise<SearchResult[]> {
  const needle = term.toLowerCase();
  const names = (await client.catalogAll({ pageSize: 1000 })).filter((n) => n.toLowerCase().includes(needle)).sort();
  return names.slice(0, limit).map((n) => ({ name: `${client.host}/${n}`, description: "", stars: 0, official: false, automated: false }));
}

export async function search(client: RegistryClient, term: string, opts: SearchOptions = {}): Promise<SearchResult[]> {
  const limit = opts.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new SkiffError(`limit ${limit} is outside the range [1, 100]`, { hint: "pass --limit between 1 and 100" });
  return isDockerHub(client.host) ? searchHub(term, limit, opts) : searchCatalog(client, term, limit);
}
