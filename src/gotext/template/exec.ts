// Executes a parsed Go template against plain JavaScript data, following Go's
// text/template rules (exec.go): pipelines pass their value as the last
// argument of the next command, variables are scoped to their control block,
// a missing map key is "no value" while a missing struct field is an error,
// and `and`/`or` stop at the first deciding argument.

import { formatValue, quote } from "../gofmt.js";
import { isTrue, kindOf, mapEntries, typeName } from "../govalue.js";
import { TemplateError } from "./error.js";
import type { FuncMap, ParamType, TemplateFunction } from "./funcs.js";
import type {
  ArgNode, ChainNode, CommandNode, ControlNode, FieldNode, IdentifierNode, ListNode, Node, NumberNode, PipeNode,
  VariableNode,
} from "./nodes.js";
import { nodeString } from "./nodes.js";

const MISSING: unique symbol = Symbol("no final value");
type Final = unknown | typeof MISSING;
const BREAK = Symbol("break");
const CONTINUE = Symbol("continue");

export interface ExecResult {
  output: string;
  /** Set when execution stopped; `output` holds what was written before. */
  error?: TemplateError;
}

export function execute(root: ListNode, text: string, name: string, data: unknown, funcs: FuncMap): ExecResult {
  const state = new State(text, name, funcs, data);
  try {
    state.walk(data, root);
    return { output: state.out };
  } catch (e) {
    if (e instanceof TemplateError) return { output: state.out, error: e };
    throw e;
  }
}

const GO_TYPE: Record<ParamType, string> = { value: "reflect.Value", any: "interface {}", string: "string", int: "int" };

class State {
  out = "";
  private vars: { name: string; value: unknown }[];
  private node: Node | undefined;

  constructor(
    private readonly text: string,
    private readonly name: string,
    private readonly funcs: FuncMap,
    data: unknown,
  ) {
    this.vars = [{ name: "$", value: data }];
  }

  private errorf(msg: string): never {
    const n = this.node;
    if (!n) throw new TemplateError(`template: ${this.name}: ${msg}`);
    const before = this.text.slice(0, n.pos);
    const lineStart = before.lastIndexOf("\n") + 1;
    const line = before.split("\n").length;
    const col = Buffer.byteLength(before.slice(lineStart), "utf8");
    let context = nodeString(n);
    if (Buffer.byteLength(context, "utf8") > 20) context = Array.from(context).slice(0, 20).join("") + "...";
    throw new TemplateError(
      `template: ${this.name}:${line}:${col}: executing ${quote(this.name)} at <${context}>: ${msg}`,
    );
  }

  // --- walking --------------------------------------------------------------

  walk(dot: unknown, node: Node): void {
    this.node = node;
    switch (node.kind) {
      case "text":
        this.out += node.text;
        return;
      case "action": {
        const v = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.print(node, v);
        return;
      }
      case "list":
        for (const n of node.nodes) this.walk(dot, n);
        return;
      case "if":
      case "with":
        return this.walkIfOrWith(dot, node);
      case "range":
        return this.walkRange(dot, node);
      case "break":
        throw BREAK;
      case "continue":
        throw CONTINUE;
      default:
        this.errorf(`unknown node: ${nodeString(node)}`);
    }
  }

  private print(node: Node, v: unknown): void {
    this.node = node;
    if (v === undefined) this.out += "<no value>";
    else if (typeof v === "function") this.errorf(`can't print ${nodeString(node)} of type func`);
    else this.out += formatValue(v);
  }

  private walkIfOrWith(dot: unknown, node: ControlNode): void {
    const mark = this.vars.length;
    const v = this.evalPipeline(dot, node.pipe);
    if (isTrue(v)) this.walk(node.kind === "with" ? v : dot, node.list);
    else if (node.elseList) this.walk(dot, node.elseList);
    this.vars.length = mark;
  }

  private walkRange(dot: unknown, node: ControlNode): void {
    this.node = node;
    const mark = this.vars.length;
    const v = this.evalPipeline(dot, node.pipe);
    const inner = this.vars.length;
    const decls = node.pipe.decl.length;
    let ran = false;
    const one = (index: unknown, elem: unknown) => {
      ran = true;
      if (decls > 0) this.vars[this.vars.length - 1]!.value = elem;
      if (decls > 1) this.vars[this.vars.length - 2]!.value = index;
      try {
        this.walk(elem, node.list);
      } catch (e) {
        if (e !== CONTINUE) throw e;
      } finally {
        this.vars.length = inner;
      }
    };
    try {
      switch (kindOf(v)) {
        case "slice":
          Array.from(v as ArrayLike<unknown>).forEach((e, i) => one(i, e));
          break;
        case "map":
          for (const [k, e] of mapEntries(v as object)) one(k, e);
          break;
        case "int":
          if (decls > 1) this.errorf(`can't use ${formatValue(v)} to iterate over more than one variable`);
          for (let i = 0; i < Number(v); i++) one(undefined, i);
          break;
        case "invalid":
        case "nil":
          break;
        default:
          this.node = node;
          this.errorf(`range can't iterate over ${formatValue(v)}`);
      }
    } catch (e) {
      if (e !== BREAK) throw e;
    }
    if (!ran && node.elseList) this.walk(dot, node.elseList);
    this.vars.length = mark;
  }

  // --- evaluation -------------------------------------------------------------

  private evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    this.node = pipe;
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    for (const v of pipe.decl) {
      if (pipe.isAssign) this.setVar(v.ident[0]!, value);
      else this.vars.push({ name: v.ident[0]!, value });
    }
    return value;
  }

  private evalCommand(dot: unknown, cmd: CommandNode, final: Final): unknown {
    const first = cmd.args[0]!;
    switch (first.kind) {
      case "field":
        return this.evalFieldNode(dot, first, cmd.args, final);
      case "chain":
        return this.evalChain(dot, first, cmd.args, final);
      case "identifier":
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case "pipe":
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case "variable":
        return this.evalVariable(dot, first, cmd.args, final);
    }
    this.node = first;
    this.notAFunction(cmd.args, final);
    switch (first.kind) {
      case "bool":
        return first.value;
      case "dot":
        return dot;
      case "nil":
        this.errorf("nil is not a command");
      case "number":
        return this.idealConstant(first);
      case "string":
        return first.text;
    }
  }

  private notAFunction(args: ArgNode[], final: Final): void {
    if (args.length > 1 || final !== MISSING) this.errorf(`can't give argument to non-function ${nodeString(args[0]!)}`);
  }

  private idealConstant(n: NumberNode): number {
    this.node = n;
    if (!n.isInt && !/[.eEpP]/.test(n.text)) this.errorf(`${n.text} overflows int`);
    return n.value;
  }

  private evalFieldNode(dot: unknown, field: FieldNode, args: ArgNode[] | undefined, final: Final): unknown {
    this.node = field;
    return this.evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  private evalChain(dot: unknown, chain: ChainNode, args: ArgNode[] | undefined, final: Final): unknown {
    this.node = chain;
    if (chain.node.kind === "nil") this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const receiver = this.evalArg(dot, chain.node, "value");
    return this.evalFieldChain(dot, receiver, chain, chain.fields, args, final);
  }

  private evalVariable(dot: unknown, v: VariableNode, args: ArgNode[] | undefined, final: Final): unknown {
    this.node = v;
    const value = this.varValue(v.ident[0]!);
    if (v.ident.length === 1) {
      if (args) this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, v, v.ident.slice(1), args, final);
  }

  private evalFieldChain(
    dot: unknown, receiver: unknown, node: Node, ident: string[], args: ArgNode[] | undefined, final: Final,
  ): unknown {
    for (let i = 0; i < ident.length - 1; i++) receiver = this.evalField(dot, ident[i]!, node, undefined, MISSING, receiver);
    return this.evalField(dot, ident[ident.length - 1]!, node, args, final, receiver);
  }

  private evalField(
    dot: unknown, name: string, node: Node, args: ArgNode[] | undefined, final: Final, receiver: unknown,
  ): unknown {
    if (receiver === undefined) return undefined;
    if (receiver === null) this.errorf(`nil pointer evaluating interface {}.${name}`);
    const hasArgs = (args?.length ?? 0) > 1 || final !== MISSING;
    const kind = kindOf(receiver);
    const obj = receiver as Record<string, unknown>;
    if (kind === "map") {
      const value = receiver instanceof Map ? receiver.get(name) : Object.hasOwn(obj, name) ? obj[name] : undefined;
      if (typeof value === "function") return this.evalCall(dot, value.bind(receiver), node, name, args, final);
      if (hasArgs) this.errorf(`${name} is not a method but has arguments`);
      return value;
    }
    if (kind === "struct" && hasField(obj, name)) {
      const value = obj[name];
      if (typeof value === "function") return this.evalCall(dot, value.bind(receiver), node, name, args, final);
      if (hasArgs) this.errorf(`${name} has arguments but cannot be invoked as function`);
      return value;
    }
    this.errorf(`can't evaluate field ${name} in type ${typeName(receiver)}`);
  }

  private evalFunction(
    dot: unknown, ident: IdentifierNode, cmd: Node, args: ArgNode[] | undefined, final: Final,
  ): unknown {
    this.node = ident;
    const fn = this.funcs[ident.name];
    if (!fn) this.errorf(`${quote(ident.name)} is not a defined function`);
    return this.evalCall(dot, fn, cmd, ident.name, args, final);
  }

  private evalCall(
    dot: unknown, fn: TemplateFunction | ((...a: unknown[]) => unknown), node: Node, name: string,
    args: ArgNode[] | undefined, final: Final,
  ): unknown {
    const argNodes = args ? args.slice(1) : [];
    const numIn = argNodes.length + (final !== MISSING ? 1 : 0);
    let argv: unknown[];
    let call: (...a: unknown[]) => unknown;
    if (typeof fn === "function") {
      // A method of the data: Go would check its signature; JavaScript has none to check.
      argv = argNodes.map((a) => this.evalArg(dot, a, "value"));
      if (final !== MISSING) argv.push(final);
      call = fn;
    } else {
      const fixed = fn.params.length;
      if (fn.variadic !== undefined) {
        if (numIn < fixed) this.errorf(`wrong number of args for ${name}: want at least ${fixed} got ${argNodes.length}`);
      } else if (numIn !== fixed) this.errorf(`wrong number of args for ${name}: want ${fixed} got ${numIn}`);
      const typeAt = (i: number): ParamType => (i < fixed ? fn.params[i]! : fn.variadic!);
      if (fn.shortCircuit) {
        let v: unknown;
        for (const a of argNodes) {
          v = this.evalArg(dot, a, "value");
          if (isTrue(v) === (fn.shortCircuit === "or")) return v;
        }
        return final !== MISSING ? final : v;
      }
      argv = argNodes.map((a, i) => this.evalArg(dot, a, typeAt(i)));
      if (final !== MISSING) argv.push(this.validateType(final, typeAt(numIn - 1)));
      call = fn.call;
    }
    try {
      return call(...argv);
    } catch (e) {
      if (e instanceof TemplateError) throw e;
      this.node = node;
      this.errorf(`error calling ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private evalArg(dot: unknown, n: ArgNode, type: ParamType): unknown {
    this.node = n;
    switch (n.kind) {
      case "dot":
        return this.validateType(dot, type);
      case "nil":
        if (type === "value" || type === "any") return null;
        this.errorf(`cannot assign nil to ${GO_TYPE[type]}`);
      case "field":
        return this.validateType(this.evalFieldNode(dot, n, [n], MISSING), type);
      case "variable":
        return this.validateType(this.evalVariable(dot, n, undefined, MISSING), type);
      case "pipe":
        return this.validateType(this.evalPipeline(dot, n), type);
      case "identifier":
        return this.validateType(this.evalFunction(dot, n, n, undefined, MISSING), type);
      case "chain":
        return this.validateType(this.evalChain(dot, n, undefined, MISSING), type);
    }
    switch (type) {
      case "string":
        if (n.kind === "string") return n.text;
        this.errorf(`expected string; found ${nodeString(n)}`);
      case "int":
        if (n.kind === "number" && n.isInt) return n.value;
        this.errorf(`expected integer; found ${nodeString(n)}`);
      default:
        if (n.kind === "bool") return n.value;
        if (n.kind === "string") return n.text;
        return this.idealConstant(n);
    }
  }

  private validateType(value: unknown, type: ParamType): unknown {
    if (type === "value") return value;
    if (type === "any") return value === undefined ? null : value;
    if (value === undefined || value === null) this.errorf(`invalid value; expected ${GO_TYPE[type]}`);
    if (type === "string" && typeof value === "string") return value;
    if (type === "int" && kindOf(value) === "int") return Number(value);
    this.errorf(`wrong type for value; expected ${GO_TYPE[type]}; got ${typeName(value)}`);
  }

  // --- variables ----------------------------------------------------------------

  private varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]!.name === name) return this.vars[i]!.value;
    this.errorf(`undefined variable: ${name}`);
  }

  private setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--)
      if (this.vars[i]!.name === name) {
        this.vars[i]!.value = value;
        return;
      }
    this.errorf(`undefined variable: ${name}`);
  }
}

/** A struct's fields and methods: own properties and its class's, not Object's. */
function hasField(o: object, name: string): boolean {
  if (Object.hasOwn(o, name)) return true;
  if (name === "constructor") return false;
  for (let p = Object.getPrototypeOf(o); p && p !== Object.prototype; p = Object.getPrototypeOf(p))
    if (Object.hasOwn(p, name)) return true;
  return false;
}
