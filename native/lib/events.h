/* Docker events that skiff-monitor appends to the per-user event log, for
 * what happens while no skiff process runs (a start by restart policy, an
 * exit, an --rm removal, a health change). The host owns the format and
 * reads it back (src/events/log.ts, src/events/actor.ts):
 *
 * The log: one event per line, Docker's JSON (the docker CLI's
 *   `--format '{{json .}}'` line), e.g.
 *   {"status":"die","id":ID,"from":IMAGE,"Type":"container","Action":"die",
 *    "Actor":{"ID":ID,"Attributes":{...sorted...}},"scope":"local",
 *    "time":SECONDS,"timeNano":NANOSECONDS}
 *   status and id for container and image actors, from for containers with
 *   an image attribute. Each line is one write(2) on an O_APPEND descriptor
 *   opened for that event alone, so writers never interleave and none keeps
 *   writing to a file rotated away. When the file has grown past MAX bytes,
 *   the writer renames it to PATH.1 (replacing that), if PATH still names
 *   the file it wrote to.
 *
 * The actor file (written by the host, replaced by rename; read again for
 * every event, so a rename of the container shows in the next one):
 *   line 1       "TYPE ID"
 *   lines 2...   one JSON object member per attribute, "key":"value",
 *                sorted by key, already escaped, and few enough that the
 *                longest line the monitor makes of them fits in PIPE_BUF.
 * If the file cannot be read (an --rm container's directory is being
 * removed), the last actor read is used. */
#ifndef SKIFF_EVENTS_H
#define SKIFF_EVENTS_H

/* Where to write; log_path NULL means no events. */
void events_setup(const char *log_path, long long max_size, const char *actor_path);
int events_enabled(void);
/* Read the actor file now (kept for when it is gone). */
void events_load_actor(void);

/* Append ACTION with extra attributes: a NULL-terminated list of key, value
 * pairs, plain text that needs no JSON escaping (numbers, words), merged
 * into the actor's in key order. Returns 0, or -1 with errno set (a warning
 * has been printed). */
int events_append(const char *action, const char *const *extra);

#endif
