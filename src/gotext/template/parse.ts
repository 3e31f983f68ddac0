// A parser for Go's text/template grammar, following the structure (and so
// the error messages) of Go's text/template/parse: unknown functions and
// undeclared variables are parse errors, `else if` / `else with` chain, and
// `break`/`continue` are only allowed inside `range`.
// https://pkg.go.dev/text/template

import { quote } from "../gofmt.js";
import { TemplateError } from "./error.js";
import { describe, lex, type Token, type TokenType } from "./lex.js";
import type {
  ArgNode, BreakNode, CommandNode, ControlNode, EndNode, ListNode, Node, NumberNode, PipeNode, StringNode, VariableNode,
} from "./nodes.js";
import { nodeString } from "./nodes.js";
import { unquoteChar, unquoteString } from "./unquote.js";

type ListEnd = EndNode;

export function parse(text: string, name: string, hasFunction: (name: string) => boolean): ListNode {
  return new Parser(text, name, hasFunction).parse();
}

class Parser {
  private readonly tokens: Token[];
  private i = 0;
  private line = 1;
  private vars: string[] = ["$"];
  private rangeDepth = 0;

  constructor(
    text: string,
    private readonly name: string,
    private readonly hasFunction: (name: string) => boolean,
  ) {
    this.tokens = lex(text);
  }

  parse(): ListNode {
    const root: ListNode = { kind: "list", pos: 0, nodes: [] };
    while (this.peek().type !== "eof") {
      if (this.peek().type === "left") {
        const save = this.i;
        this.next();
        const kw = this.nextNonSpace().type;
        if (kw === "define" || kw === "block" || kw === "template") this.errorf(`{{${kw}}} is not supported`);
        this.i = save;
      }
      const n = this.textOrAction();
      if (n.kind === "end" || n.kind === "else") this.errorf(`unexpected ${nodeString(n)}`);
      root.nodes.push(n);
    }
    return root;
  }

  // --- tokens -------------------------------------------------------------

  private next(): Token {
    const t = this.tokens[Math.min(this.i, this.tokens.length - 1)]!;
    if (this.i < this.tokens.length) this.i++;
    this.line = t.line;
    return t;
  }
  private peek(): Token {
    const t = this.tokens[Math.min(this.i, this.tokens.length - 1)]!;
    this.line = t.line;
    return t;
  }
  private backup(): void {
    this.i--;
  }
  private nextNonSpace(): Token {
    let t: Token;
    do t = this.next();
    while (t.type === "space");
    return t;
  }
  private peekNonSpace(): Token {
    const t = this.nextNonSpace();
    this.backup();
    return t;
  }
  private expect(type: TokenType, context: string): Token {
    const t = this.nextNonSpace();
    if (t.type !== type) this.unexpected(t, context);
    return t;
  }

  private errorf(msg: string): never {
    throw new TemplateError(`template: ${this.name}:${this.line}: ${msg}`);
  }
  private unexpected(t: Token, context: string): never {
    this.errorf(`unexpected ${describe(t)} in ${context}`);
  }

  // --- structure ----------------------------------------------------------

  /** Nodes up to an {{end}} or {{else}}, which is returned separately. */
  private itemList(): [ListNode, ListEnd] {
    const list: ListNode = { kind: "list", pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().type !== "eof") {
      const n = this.textOrAction();
      if (n.kind === "end" || n.kind === "else") return [list, n];
      list.nodes.push(n);
    }
    this.errorf("unexpected EOF");
  }

  private textOrAction(): Node {
    const t = this.nextNonSpace();
    if (t.type === "text") return { kind: "text", pos: t.pos, text: t.val };
    if (t.type === "left") return this.action();
    this.unexpected(t, "input");
  }

  private action(): Node {
    const t = this.nextNonSpace();
    switch (t.type) {
      case "else": {
        // "{{else if …" and "{{else with …": leave the keyword for parseControl.
        const p = this.peekNonSpace();
        if (p.type === "if" || p.type === "with") return { kind: "else", pos: p.pos, line: p.line };
        const r = this.expect("right", "else");
        return { kind: "else", pos: r.pos, line: r.line };
      }
      case "end": {
        const r = this.expect("right", "end");
        return { kind: "end", pos: r.pos, line: r.line };
      }
      case "if":
      case "range":
      case "with":
        return this.control(t.type);
      case "break":
      case "continue": {
        const r = this.nextNonSpace();
        if (r.type !== "right") this.unexpected(r, `{{${t.type}}}`);
        if (this.rangeDepth === 0) this.errorf(`{{${t.type}}} outside {{range}}`);
        return { kind: t.type, pos: t.pos } satisfies BreakNode;
      }
      case "define":
      case "block":
      case "template":
        this.errorf(`{{${t.type}}} is not supported`);
    }
    this.backup();
    const start = this.peek();
    return { kind: "action", pos: start.pos, line: start.line, pipe: this.pipeline("command", "right") };
  }

  private control(kind: "if" | "range" | "with"): ControlNode {
    const mark = this.vars.length;
    const pipe = this.pipeline(kind, "right");
    if (kind === "range") this.rangeDepth++;
    let [list, end] = this.itemList();
    if (kind === "range") this.rangeDepth--;
    let elseList: ListNode | undefined;
    if (end.kind === "else") {
      const chained = this.peek().type;
      if ((kind === "if" && chained === "if") || (kind === "with" && chained === "with")) {
        // {{if a}}…{{else if b}}…{{end}} is {{if a}}…{{else}}{{if b}}…{{end}}{{end}}
        // with the outer {{end}} implied.
        this.next();
        elseList = { kind: "list", pos: end.pos, nodes: [this.control(kind)] };
      } else {
        [elseList, end] = this.itemList();
        if (end.kind !== "end") this.errorf(`expected end; found ${nodeString(end)}`);
      }
    }
    this.vars.length = mark;
    return { kind, pos: pipe.pos, line: this.line, pipe, list, elseList };
  }

  // --- pipelines ----------------------------------------------------------

  private pipeline(context: string, end: "right" | "rparen"): PipeNode {
    const pipe: PipeNode = { kind: "pipe", pos: this.peekNonSpace().pos, isAssign: false, decl: [], cmds: [] };
    // Declarations: "$x :=", "$x =", and in range "$i, $e :=".
    for (;;) {
      const v = this.peekNonSpace();
      if (v.type !== "var") break;
      const save = this.i;
      this.next();
      const after = this.peekNonSpace();
      if (after.type === "assign" || after.type === "declare") {
        pipe.isAssign = after.type === "assign";
        this.nextNonSpace();
        pipe.decl.push(this.variable(v));
        this.vars.push(v.val);
        break;
      }
      if (after.type === "char" && after.val === ",") {
        this.nextNonSpace();
        pipe.decl.push(this.variable(v));
        this.vars.push(v.val);
        if (context === "range" && pipe.decl.length < 2) {
          const p = this.peekNonSpace().type;
          if (p === "var" || p === "right" || p === "rparen") continue;
          this.errorf("range can only initialize variables");
        }
        this.errorf(`too many declarations in ${context}`);
      }
      this.i = save;
      break;
    }
    for (;;) {
      const t = this.nextNonSpace();
      if (t.type === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      switch (t.type) {
        case "bool": case "charConst": case "dot": case "field": case "ident": case "number":
        case "nil": case "rawString": case "string": case "var": case "lparen":
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(t, context);
      }
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      const k = c.args[0]!.kind;
      if (k === "bool" || k === "dot" || k === "nil" || k === "number" || k === "string")
        this.errorf(`non executable command in pipeline stage ${i + 2}`);
    });
  }

  private command(): CommandNode {
    const cmd: CommandNode = { kind: "command", pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const t = this.next();
      if (t.type === "space") continue;
      if (t.type === "error") this.errorf(t.val);
      if (t.type === "right" || t.type === "rparen") this.backup();
      else if (t.type !== "pipe") this.errorf(`unexpected ${describe(t)} in operand`);
      break;
    }
    if (cmd.args.length === 0) this.errorf("empty command");
    return cmd;
  }

  /** A term followed by any number of .Field accesses. */
  private operand(): ArgNode | undefined {
    const node = this.term();
    if (!node || this.peek().type !== "field") return node;
    const pos = this.peek().pos;
    const fields: string[] = [];
    while (this.peek().type === "field") fields.push(this.next().val.slice(1));
    switch (node.kind) {
      case "field":
        return { kind: "field", pos, ident: [...node.ident, ...fields] };
      case "variable":
        return { kind: "variable", pos, ident: [...node.ident, ...fields] };
      case "bool": case "string": case "number": case "nil": case "dot":
        this.errorf(`unexpected . after term ${quote(nodeString(node))}`);
      default:
        return { kind: "chain", pos, node, fields };
    }
  }

  private term(): ArgNode | undefined {
    const t = this.nextNonSpace();
    switch (t.type) {
      case "error":
        this.errorf(t.val);
      case "ident":
        if (!this.hasFunction(t.val)) this.errorf(`function ${quote(t.val)} not defined`);
        return { kind: "identifier", pos: t.pos, name: t.val };
      case "dot":
        return { kind: "dot", pos: t.pos };
      case "nil":
        return { kind: "nil", pos: t.pos };
      case "var":
        if (!this.vars.includes(t.val)) this.errorf(`undefined variable ${quote(t.val)}`);
        return this.variable(t);
      case "field":
        return { kind: "field", pos: t.pos, ident: [t.val.slice(1)] };
      case "bool":
        return { kind: "bool", pos: t.pos, value: t.val === "true" };
      case "charConst":
      case "number":
        return this.number(t);
      case "lparen":
        return this.pipeline("parenthesized pipeline", "rparen");
      case "string":
      case "rawString":
        return this.string(t);
    }
    this.backup();
    return undefined;
  }

  private variable(t: Token): VariableNode {
    return { kind: "variable", pos: t.pos, ident: [t.val] };
  }

  private string(t: Token): StringNode {
    const text = t.type === "rawString" ? t.val.slice(1, -1).replace(/\r/g, "") : unquoteString(t.val);
    if (text === undefined) this.errorf("invalid syntax");
    return { kind: "string", pos: t.pos, quoted: t.val, text };
  }

  private number(t: Token): NumberNode {
    if (t.type === "charConst") {
      const cp = unquoteChar(t.val);
      if (cp === undefined) this.errorf(`malformed character constant: ${t.val}`);
      return { kind: "number", pos: t.pos, text: t.val, value: cp, isInt: true };
    }
    const text = t.val;
    const int = /^[+-]?(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$/.exec(text);
    if (int) {
      let digits = text.replace(/_/g, "");
      const neg = digits.startsWith("-");
      digits = digits.replace(/^[+-]/, "");
      if (/^0[0-7]+$/.test(digits)) digits = "0o" + digits.slice(1);
      const big = BigInt(digits) * (neg ? -1n : 1n);
      if (big >= 2n ** 63n || big < -(2n ** 63n)) this.errorf(`integer overflow: ${quote(text)}`);
      return { kind: "number", pos: t.pos, text, value: Number(big), isInt: true };
    }
    if (/^[+-]?(\d[\d_]*\.?[\d_]*|\.\d[\d_]*)([eE][+-]?\d[\d_]*)?$/.test(text)) {
      const value = Number(text.replace(/_/g, ""));
      return { kind: "number", pos: t.pos, text, value, isInt: Number.isInteger(value) && Math.abs(value) < 2 ** 63 };
    }
    this.errorf(`illegal number syntax: ${quote(text)}`);
  }
}
