import type { Engine } from "../../engine/engine.js";
import { InvalidArgumentError } from "../../errors.js";
import { encodeEvent } from "../../events/event.js";
import { EventFilters } from "../../events/filters.js";
import { parseUnixTimestamp } from "../../events/time.js";
import type { ApiCall } from "../call.js";
import type { Route } from "../router.js";

// GET /events (moby daemon/server/router/system getEvents): the logged
// events in the asked range, then new ones as they are written, one JSON
// object per line — the event log's own line, which is Go's encoding of
// Docker's message. The headers go out at once: docker-py (compose 1.29)
// times out when they do not, and compose v2 starts containers only once
// its event stream is open. The stream ends when the client leaves, or at
// `until`.

/** since/until as the API carries them: Unix seconds with an optional fraction (the CLI converts durations and dates). */
function eventTime(c: ApiCall, key: string): bigint | undefined {
  const v = c.query.string(key);
  return v ? parseUnixTimestamp(v) : undefined;
}

/** A slow reader: wait until it has taken what was written, or has left. */
function drainedOrGone(res: NodeJS.WritableStream, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    res.once("drain", done);
    signal.addEventListener("abort", done, { once: true });
  });
}

export function eventRoutes(engine: Engine): Route[] {
  return [
    {
      method: "GET",
      path: "/events",
      handle: async (c) => {
        const since = eventTime(c, "since");
        const until = eventTime(c, "until");
        if (until !== undefined && since !== undefined && until < since)
          throw new InvalidArgumentError(`\`since\` time (${c.query.string("since")}) cannot be after \`until\` time (${c.query.string("until")})`);
        const filters = new EventFilters(c.query.filters());
        const res = c.longPoll();
        for await (const e of engine.events.follow({ since, until, filters, signal: c.signal })) {
          if (!res.write(`${encodeEvent(e)}\n`)) await drainedOrGone(res, c.signal);
        }
        res.end();
      },
    },
  ];
}
