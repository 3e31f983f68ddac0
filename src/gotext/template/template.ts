// A Go text/template with Docker's functions: parse once, execute per item.
// https://pkg.go.dev/text/template, docker/cli templates/templates.go

import { execute, type ExecResult } from "./exec.js";
import { BUILTINS, DOCKER_FUNCS, type FuncMap } from "./funcs.js";
import type { ListNode } from "./nodes.js";
import { parse } from "./parse.js";

export interface TemplateOptions {
  /** Template name shown in errors; Docker's are unnamed (""). */
  name?: string;
  /** Extra functions, or replacements for Docker's. */
  funcs?: FuncMap;
}

export class Template {
  private constructor(
    readonly text: string,
    readonly name: string,
    private readonly root: ListNode,
    private readonly funcs: FuncMap,
  ) {}

  /** Parse a template; throws TemplateError with Go's message on bad syntax. */
  static parse(text: string, opts: TemplateOptions = {}): Template {
    const funcs: FuncMap = { ...BUILTINS, ...DOCKER_FUNCS, ...opts.funcs };
    const name = opts.name ?? "";
    const root = parse(text, name, (f) => Object.hasOwn(funcs, f));
    return new Template(text, name, root, funcs);
  }

  /** Run against `data`; throws TemplateError when execution fails. */
  execute(data: unknown, funcs?: FuncMap): string {
    const r = this.run(data, funcs);
    if (r.error) throw r.error;
    return r.output;
  }

  /** Run against `data`, keeping what was written before any error. */
  run(data: unknown, funcs?: FuncMap): ExecResult {
    return execute(this.root, this.text, this.name, data, funcs ? { ...this.funcs, ...funcs } : this.funcs);
  }
}
