import { InvalidArgumentError } from "../errors.js";
import type { DockerEvent } from "./event.js";

// Docker's event filters (moby daemon/events/filter.go), with its matching
// rules, which are not the obvious ones:
// - every condition applies to every event: `container=web` also drops all
//   image and volume events, since their actor is not "web";
// - container, volume, network, daemon (and the swarm types) match the
//   actor's id or its name attribute, exactly or as a prefix;
// - image matches the actor's id or image name, with or without its tag;
// - event matches the action exactly, except health_status, exec_create and
//   exec_start, which also match "health_status: healthy" and the like;
// - label=k asks for the attribute, label=k=v for its value; all must hold.
// Unknown keys are accepted and ignored, as by Docker.

/** Filter values per key, as the API's `filters` JSON or repeated --filter k=v give them. */
export class EventFilters {
  constructor(readonly fields: ReadonlyMap<string, readonly string[]> = new Map()) {}

  /** `--filter key=value` arguments (the key is lower-cased, both are trimmed, as the docker CLI does). */
  static parse(args: readonly string[]): EventFilters {
    const fields = new Map<string, string[]>();
    for (const a of args) {
      const eq = a.indexOf("=");
      if (eq < 0) throw new InvalidArgumentError(`bad format of filter (expected name=value)`, "give each --filter as key=value, e.g. --filter event=die");
      const key = a.slice(0, eq).trim().toLowerCase();
      fields.set(key, [...(fields.get(key) ?? []), a.slice(eq + 1).trim()]);
    }
    return new EventFilters(fields);
  }

  get size(): number {
    return this.fields.size;
  }

  private exact(key: string, source: string): boolean {
    const values = this.fields.get(key);
    return !values?.length || values.includes(source);
  }

  private fuzzy(key: string, source: string): boolean {
    return this.exact(key, source) || (this.fields.get(key) ?? []).some((v) => source.startsWith(v));
  }

  private byName(e: DockerEvent, type: string): boolean {
    return this.fuzzy(type, e.Actor.ID) || this.fuzzy(type, e.Actor.Attributes.name ?? "");
  }

  private event(e: DockerEvent): boolean {
    const values = this.fields.get("event") ?? [];
    if (values.some((v) => v === "health_status" || v === "exec_create" || v === "exec_start")) return this.fuzzy("event", e.Action);
    return this.exact("event", e.Action);
  }

  private image(e: DockerEvent): boolean {
    const name = e.Actor.Attributes[e.Type === "image" ? "name" : "image"] ?? "";
    return [e.Actor.ID, name, familiarName(e.Actor.ID), familiarName(name)].some((s) => this.exact("image", s));
  }

  private labels(attrs: Record<string, string>): boolean {
    const values = this.fields.get("label");
    if (!values?.length) return true;
    if (!Object.keys(attrs).length) return false;
    return values.every((v) => {
      const eq = v.indexOf("=");
      const key = eq < 0 ? v : v.slice(0, eq);
      return key in attrs && (eq < 0 || attrs[key] === v.slice(eq + 1));
    });
  }

  matches(e: DockerEvent): boolean {
    return (
      this.event(e) &&
      this.exact("type", e.Type) &&
      (!this.fields.has("scope") || this.exact("scope", e.scope)) &&
      ["daemon", "container", "plugin", "volume", "network", "node", "service", "secret", "config"].every((t) => this.byName(e, t)) &&
      this.image(e) &&
      this.labels(e.Actor.Attributes)
    );
  }
}

/**
 * A reference without its tag or digest, in Docker's short form
 * ("docker.io/library/busybox:1" → "busybox"), for the image filter; an id or
 * anything that is not a reference stays as it is.
 */
export function familiarName(ref: string): string {
  if (!ref || /^(sha256:)?[a-f0-9]{64}$/.test(ref) || /[A-Z\s]/.test(ref)) return ref;
  let name = ref.split("@")[0]!;
  const colon = name.lastIndexOf(":");
  if (colon > name.lastIndexOf("/")) name = name.slice(0, colon);
  if (name.startsWith("docker.io/")) name = name.slice("docker.io/".length);
  if (name.startsWith("library/") && name.split("/").length === 2) name = name.slice("library/".length);
  return name;
}
