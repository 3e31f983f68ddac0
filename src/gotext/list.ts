// Docker's `--format` for listings (ps, images, volume ls, …), as its CLI's
// formatter.Context does it (cli/command/formatter/formatter.go):
// - "json" alone means `{{json .}}`: one JSON object per line;
// - a format starting with "table" drops that word, prints a header row made
//   by running the same template over the column titles, and aligns all
//   rows with a tabwriter (minwidth 10, padding 3);
// - anything else is a template printed once per row, each followed by "\n";
// - in every format, the two-character sequences `\t` and `\n` typed on a
//   command line become a tab and a newline.
// A row is a struct to its template: asking for a field it lacks is an error,
// as in Docker. Its JSON has sorted keys and escapes <, > and &, because
// Docker marshals each row as a Go map with json.Marshal.

import { encodeJSON } from "./gojson.js";
import { goJSON, goType } from "./govalue.js";
import { tabwrite } from "./tabwriter.js";
import { TemplateError } from "./template/error.js";
import { HEADER_FUNCS } from "./template/funcs.js";
import { Template } from "./template/template.js";

export interface ListFormatOptions {
  /** The --format value. Empty, undefined or "table" select `defaultFormat`. */
  format?: string;
  /** The command's own table, e.g. "table {{.ID}}\t{{.Image}}\t{{.Command}}". */
  defaultFormat: string;
  /** Column titles by field name, e.g. { ID: "CONTAINER ID", Image: "IMAGE" }. */
  headers: Readonly<Record<string, string>>;
  /** Type name shown when a template asks for a field rows do not have. */
  rowType?: string;
}

export function isTableFormat(format: string): boolean {
  return format.startsWith("table");
}

/** The template text Docker runs for a --format value. */
export function templateText(format: string): string {
  if (format === "json") return "{{json .}}";
  if (format === "table") return "";
  let text = isTableFormat(format) ? format.slice("table".length) : format;
  text = text.replace(/^ +| +$/g, "");
  return text.replace(/\\t|\\n/g, (m) => (m === "\\t" ? "\t" : "\n"));
}

/** Docker's header context: a map of titles, plus `Label` for `{{.Label "x"}}` columns. */
function headerRow(headers: Readonly<Record<string, string>>): Record<string, unknown> {
  return {
    ...headers,
    // The last dotted part of a label name, with - and _ as spaces.
    Label: (name: string) => (name.split(".").pop() ?? "").replace(/[-_]/g, " "),
  };
}

function parseFailed(e: unknown): never {
  if (e instanceof TemplateError) throw new TemplateError(`template parsing error: ${e.message}`);
  throw e;
}

/** Format rows for printing; the result ends with a newline unless it is empty. */
export function formatList(rows: readonly object[], opts: ListFormatOptions): string {
  const format = opts.format === undefined || opts.format === "" || opts.format === "table" ? opts.defaultFormat : opts.format;
  let tmpl: Template;
  try {
    tmpl = Template.parse(templateText(format));
  } catch (e) {
    parseFailed(e);
  }
  const rowType = opts.rowType ?? "row";
  let body = "";
  for (const r of rows) {
    const row = {
      ...r,
      [goType]: rowType,
      [goJSON]: () => encodeJSON(r, { sortKeys: true, escapeHTML: true }),
    };
    const res = tmpl.run(row);
    if (res.error) parseFailed(res.error);
    body += res.output + "\n";
  }
  if (!isTableFormat(format)) return body;
  // Docker ignores a header that fails to render and keeps what it printed.
  const header = tmpl.run(headerRow(opts.headers), HEADER_FUNCS).output;
  return tabwrite(header + "\n" + body);
}
