// Go-compatible text for Docker-compatible output: --format templates (text/template), fmt, tables (tabwriter), JSON lines and go-units. Both faces use it (the CLI prints with it; the engine words container status as the daemon does).

export { formatList, isTableFormat, templateText, type ListFormatOptions } from "./list.js";
export { renderTable, tabwrite, DOCKER_TABLE, type TabwriterOptions } from "./tabwriter.js";
export { Template, type TemplateOptions } from "./template/template.js";
export { TemplateError } from "./template/error.js";
export type { FuncMap, ParamType, TemplateFunction } from "./template/funcs.js";
export { encodeJSON, type JSONOptions } from "./gojson.js";
export { formatValue, quote, sprint, sprintln } from "./gofmt.js";
export { sprintf } from "./goprintf.js";
export { goTimeString, goTimeRFC3339 } from "./gotime.js";
export { goJSON, goType } from "./govalue.js";
export { displayWidth, ellipsis } from "./width.js";
export {
  ago, bytesSize, commandColumn, containerCommand, containerStatus, humanDuration, humanSize,
  type ContainerStateView,
} from "./units.js";
