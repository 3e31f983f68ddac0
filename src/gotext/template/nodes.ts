// The parse tree of a Go template. `nodeString` renders a node back to
// template text, which Go shows in execution errors: `at <.Foo>`.

import { quote } from "../gofmt.js";

interface Base {
  /** Index in the template text, for error positions. */
  pos: number;
}

export interface TextNode extends Base { kind: "text"; text: string }
export interface ActionNode extends Base { kind: "action"; line: number; pipe: PipeNode }
export interface ControlNode extends Base {
  kind: "if" | "range" | "with";
  line: number;
  pipe: PipeNode;
  list: ListNode;
  elseList?: ListNode;
}
export interface BreakNode extends Base { kind: "break" | "continue" }
export interface ListNode extends Base { kind: "list"; nodes: Node[] }
export interface PipeNode extends Base { kind: "pipe"; isAssign: boolean; decl: VariableNode[]; cmds: CommandNode[] }
export interface CommandNode extends Base { kind: "command"; args: ArgNode[] }
export interface FieldNode extends Base { kind: "field"; ident: string[] }
export interface VariableNode extends Base { kind: "variable"; ident: string[] }
export interface ChainNode extends Base { kind: "chain"; node: ArgNode; fields: string[] }
export interface IdentifierNode extends Base { kind: "identifier"; name: string }
export interface DotNode extends Base { kind: "dot" }
export interface NilNode extends Base { kind: "nil" }
export interface BoolNode extends Base { kind: "bool"; value: boolean }
export interface NumberNode extends Base { kind: "number"; text: string; value: number; isInt: boolean }
export interface StringNode extends Base { kind: "string"; quoted: string; text: string }
/** Transient markers the parser uses to end a list. */
export interface EndNode extends Base { kind: "end" | "else"; line: number }

export type ArgNode =
  | FieldNode | VariableNode | ChainNode | IdentifierNode | DotNode | NilNode | BoolNode | NumberNode | StringNode | PipeNode;
export type Node = TextNode | ActionNode | ControlNode | BreakNode | ListNode | ArgNode | CommandNode | EndNode;

export function nodeString(n: Node): string {
  switch (n.kind) {
    case "text":
      return quote(n.text);
    case "action":
      return `{{${nodeString(n.pipe)}}}`;
    case "if":
    case "range":
    case "with": {
      const body = `{{${n.kind} ${nodeString(n.pipe)}}}${nodeString(n.list)}`;
      return body + (n.elseList ? `{{else}}${nodeString(n.elseList)}` : "") + "{{end}}";
    }
    case "break":
    case "continue":
      return `{{${n.kind}}}`;
    case "list":
      return n.nodes.map(nodeString).join("");
    case "pipe": {
      const decl = n.decl.length ? n.decl.map(nodeString).join(", ") + (n.isAssign ? " = " : " := ") : "";
      return decl + n.cmds.map(nodeString).join(" | ");
    }
    case "command":
      return n.args.map((a) => (a.kind === "pipe" ? `(${nodeString(a)})` : nodeString(a))).join(" ");
    case "field":
      return "." + n.ident.join(".");
    case "variable":
      return n.ident.join(".");
    case "chain":
      return (n.node.kind === "pipe" ? `(${nodeString(n.node)})` : nodeString(n.node)) + "." + n.fields.join(".");
    case "identifier":
      return n.name;
    case "dot":
      return ".";
    case "nil":
      return "nil";
    case "bool":
      return String(n.value);
    case "number":
      return n.text;
    case "string":
      return n.quoted;
    case "end":
    case "else":
      return `{{${n.kind}}}`;
  }
}
