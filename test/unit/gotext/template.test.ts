import { describe, expect, test } from "vitest";
import { TemplateError } from "../../../src/gotext/template/error.js";
import { Template } from "../../../src/gotext/template/template.js";
import { goType } from "../../../src/gotext/govalue.js";

const run = (text: string, data: unknown = {}) => Template.parse(text).execute(data);

function failure(text: string, data: unknown = {}): string {
  try {
    run(text, data);
  } catch (e) {
    expect(e).toBeInstanceOf(TemplateError);
    expect((e as TemplateError).code).toBe(125);
    return (e as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(text)} to fail`);
}

class Container {
  ID = "90435eec5c4e";
  Names = ["web", "db"];
  Labels = { "com.example.project": "shop", tier: "front" };
  Label(name: string) {
    return this.Labels[name as keyof typeof this.Labels] ?? "";
  }
}

const inspect = {
  Id: "sha256:abc",
  Config: { Env: ["A=1", "B=2"], Labels: { "org.opencontainers.image.version": "1.0" }, Cmd: null, ExposedPorts: {} },
  State: { Status: "running", Running: true, ExitCode: 0, Pid: 4242 },
  NetworkSettings: { Networks: { bridge: { IPAddress: "10.88.0.2" }, backend: { IPAddress: "10.89.0.5" } } },
  Size: 4264000,
};

describe("fields and maps", () => {
  test.each([
    ["{{.Id}}", "sha256:abc"],
    ["{{.State.Status}} {{.State.Pid}}", "running 4242"],
    ["{{.Config.Labels.missing}}", "<no value>"],
    ["{{.Nope}}", "<no value>"],
    ["{{.Nope.Deeper}}", "<no value>"],
    ['{{index .Config.Labels "org.opencontainers.image.version"}}', "1.0"],
    ['{{index .Config.Labels "missing"}}', ""],
    ["{{.Config.Env}}", "[A=1 B=2]"],
    ["{{index .Config.Env 1}}", "B=2"],
    ["{{.Config.Cmd}}", "<nil>"],
    ["{{.Config.ExposedPorts}}", "map[]"],
    ["{{.State}}", "map[ExitCode:0 Pid:4242 Running:true Status:running]"],
    ["{{.Size}}", "4264000"],
    ["{{(index .NetworkSettings.Networks \"bridge\").IPAddress}}", "10.88.0.2"],
    ["{{.NetworkSettings.Networks.bridge.IPAddress}}", "10.88.0.2"],
  ])("%s", (text, out) => {
    expect(run(text, inspect)).toBe(out);
  });

  test("struct fields and methods with arguments", () => {
    expect(run('{{.ID}} {{.Label "tier"}} {{.Label "nope"}}|', new Container())).toBe("90435eec5c4e front |");
    expect(run('{{.Labels | len}} {{index .Labels "com.example.project"}}', new Container())).toBe("2 shop");
  });

  test("a struct lacks fields, a map only lacks keys", () => {
    expect(failure("{{.Foo}}", new Container())).toBe(
      'template: :1:2: executing "" at <.Foo>: can\'t evaluate field Foo in type Container',
    );
    expect(failure("{{.Foo}}", { [goType]: "*formatter.ContainerContext" })).toBe(
      'template: :1:2: executing "" at <.Foo>: can\'t evaluate field Foo in type *formatter.ContainerContext',
    );
    expect(run("{{.Foo}}", {})).toBe("<no value>");
    // Object's own properties are not fields.
    expect(failure("{{.constructor}}", new Container())).toMatch(/can't evaluate field constructor/);
    expect(run("{{.toString}}", {})).toBe("<no value>");
  });
});

describe("json", () => {
  test("Go's encoding, without HTML escaping, keys as given", () => {
    expect(run("{{json .}}", { b: "<x>&", a: [1, 2.5, null], c: { z: true } })).toBe(
      '{"b":"<x>&","a":[1,2.5,null],"c":{"z":true}}',
    );
    expect(run("{{json .Config.Env}}", inspect)).toBe('["A=1","B=2"]');
    expect(run("{{json .Missing}}", {})).toBe("null");
    expect(run("{{json .Config.Labels}}", inspect)).toBe('{"org.opencontainers.image.version":"1.0"}');
  });
});

describe("control structures", () => {
  test.each([
    ["{{range .Config.Env}}[{{.}}]{{end}}", "[A=1][B=2]"],
    ["{{range $i, $e := .Config.Env}}{{$i}}:{{$e}} {{end}}", "0:A=1 1:B=2 "],
    ["{{range $e := .Config.Env}}{{$e}};{{end}}", "A=1;B=2;"],
    ["{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}", "backend=10.89.0.5 bridge=10.88.0.2 "],
    ["{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", "10.89.0.5 10.88.0.2 "],
    ["{{range .Config.Cmd}}x{{else}}no command{{end}}", "no command"],
    ["{{range .Missing}}x{{else}}none{{end}}", "none"],
    ["{{range 3}}{{.}}{{end}}", "012"],
    ["{{range .Config.Env}}{{if eq . \"B=2\"}}{{break}}{{end}}{{.}}{{end}}", "A=1"],
    ["{{range .Config.Env}}{{if eq . \"A=1\"}}{{continue}}{{end}}{{.}}{{end}}", "B=2"],
    ["{{if .State.Running}}up{{else}}down{{end}}", "up"],
    ["{{if eq .State.Status \"exited\"}}x{{else if eq .State.Status \"running\"}}r{{else}}?{{end}}", "r"],
    ["{{if not .State.ExitCode}}ok{{end}}", "ok"],
    ["{{if and .State.Running (gt .State.Pid 0)}}live{{end}}", "live"],
    ["{{if or .Nope .Config.Cmd}}yes{{else}}no{{end}}", "no"],
    ["{{with .State}}{{.Status}}{{end}}", "running"],
    ["{{with .Config.Cmd}}{{.}}{{else}}empty{{end}}", "empty"],
    ["{{with .Nope}}a{{else with .State.Pid}}pid {{.}}{{end}}", "pid 4242"],
    ["{{$x := .State.Status}}{{$x}} {{$x = \"changed\"}}{{$x}}", "running changed"],
    ["{{range .Config.Env}}{{$.Id}} {{end}}", "sha256:abc sha256:abc "],
    ["{{if true}}{{$v := 1}}{{$v}}{{end}}", "1"],
  ])("%s", (text, out) => {
    expect(run(text, inspect)).toBe(out);
  });

  test("trim markers and comments", () => {
    expect(run("a  {{- .State.Status -}}  b", inspect)).toBe("arunningb");
    expect(run("a\n\t{{- /* a comment */ -}}\n b", inspect)).toBe("ab");
    expect(run("{{/* only */}}x")).toBe("x");
    expect(run("{{-3}}")).toBe("-3");
    expect(run("{{ .State.Status }}\n", inspect)).toBe("running\n");
    expect(run("{{range .Config.Env -}}\n  {{.}}\n{{- end}}", inspect)).toBe("A=1B=2");
    expect(run("{{\n.State.Status\n}}", inspect)).toBe("running");
  });
});

describe("functions", () => {
  test.each([
    ["{{len .Config.Env}} {{len .State}} {{len \"héllo\"}}", "2 4 6"],
    ["{{eq 1 1}} {{eq 1 2 3 1}} {{ne \"a\" \"b\"}} {{lt 1 2}} {{le 2 2}} {{gt 1.5 1}} {{ge \"b\" \"a\"}}", "true true true true true true true"],
    ["{{eq .Nope \"x\"}} {{eq .State.Pid 4242}} {{eq .State.Running true}}", "false true true"],
    ["{{and 1 0 2}} {{and 1 2}} {{or 0 \"\" \"z\"}} {{or 0 \"\"}} {{not 0}} {{not \"a\"}}", "0 2 z  true false"],
    ["{{printf \"%s has %d env\" .Id (len .Config.Env)}}", "sha256:abc has 2 env"],
    ["{{printf \"%-8s|%5.1f|%q|%v\" \"ab\" 3.14159 \"q\" .Config.Env}}", 'ab      |  3.1|"q"|[A=1 B=2]'],
    ["{{.State.Status | printf \"<%s>\"}}", "<running>"],
    ["{{print 1 2 \"a\" .State.Pid}}", "1 2a4242"],
    ["{{println \"a\" 1}}", "a 1\n"],
    ["{{slice \"hello\" 1 3}} {{slice .Config.Env 1}}", "el [B=2]"],
    ["{{index .NetworkSettings.Networks \"bridge\" \"IPAddress\"}}", "10.88.0.2"],
    ["{{.State.Status | upper}} {{upper \"ab\" | lower}} {{title \"hello world-x\"}}", "RUNNING ab Hello World-X"],
    ["{{join .Config.Env \",\"}} {{join .Config.Labels \";\"}}", "A=1,B=2 1.0"],
    ["{{split \"a:b:c\" \":\"}} {{len (split \"abc\" \"\")}}", "[a b c] 3"],
    ["[{{pad .State.Status 2 1}}] [{{pad \"\" 2 2}}]", "[  running ] []"],
    ["{{truncate .Id 6}} {{truncate \"ab\" 5}}", "sha256 ab"],
    ["{{json .State.Pid}} {{.Config.Env | json}}", '4242 ["A=1","B=2"]'],
    ["{{0x1F}} {{0o17}} {{017}} {{1_000}} {{'a'}} {{1.5}} {{\"\\u00e9\\t\"}} {{`raw\\n`}}", "31 15 15 1000 97 1.5 é\t raw\\n"],
    ["{{(.State).Status}} {{(printf \"%s\" \"x\")}}", "running x"],
  ])("%s", (text, out) => {
    expect(run(text, inspect)).toBe(out);
  });

  test("extra functions, and replacing Docker's", () => {
    const t = Template.parse("{{shout .}}", { funcs: { shout: { params: ["string"], call: (s: string) => s + "!" } } });
    expect(t.execute("hey")).toBe("hey!");
    const header = Template.parse("{{.Name | upper}}");
    expect(header.execute({ Name: "name" }, { upper: { params: ["string"], call: (s: string) => s } })).toBe("name");
  });
});

describe("parse errors", () => {
  test.each([
    ["{{foo .}}", 'template: :1: function "foo" not defined'],
    ["{{.A", "template: :1: unclosed action"],
    ["{{", "template: :1: unexpected unclosed action in command"],
    ["{{}}", "template: :1: missing value for command"],
    ["{{if .A}}x", "template: :1: unexpected EOF"],
    ["{{end}}", "template: :1: unexpected {{end}}"],
    ["{{else}}", "template: :1: unexpected {{else}}"],
    ["{{range .A}}{{else}}{{else}}{{end}}", "template: :1: expected end; found {{else}}"],
    ["{{$x}}", 'template: :1: undefined variable "$x"'],
    ["{{if 1}}{{$x := 1}}{{end}}{{$x}}", 'template: :1: undefined variable "$x"'],
    ["{{break}}", "template: :1: {{break}} outside {{range}}"],
    ["{{3 | 4}}", "template: :1: non executable command in pipeline stage 2"],
    ['{{"abc}}', "template: :1: unexpected unterminated quoted string in command"],
    ["{{.A )}}", "template: :1: unexpected right paren"],
    ["{{(.A}}", "template: :1: unclosed left paren"],
    ["{{.A!}}", "template: :1: unexpected bad character U+0021 '!' in command"],
    ["{{/* x }}", "template: :1: unexpected unclosed comment in input"],
    ["{{3x}}", 'template: :1: unexpected bad number syntax: "3x" in command'],
    ["{{\"a\".B}}", 'template: :1: unexpected . after term "\\"a\\""'],
    ["{{range $a, $b, $c := .}}{{end}}", "template: :1: too many declarations in range"],
    ["{{with $a, $b := .}}{{end}}", "template: :1: too many declarations in with"],
    ["{{template \"x\"}}", "template: :1: {{template}} is not supported"],
    ["line 1\nline 2 {{.A | 3}}", "template: :2: non executable command in pipeline stage 2"],
    // Go accepts a pipe with nothing after it.
    ["{{.A | }}{{", "template: :1: unexpected unclosed action in command"],
  ])("%j", (text, message) => {
    expect(failure(text)).toBe(message);
  });
});

describe("execution errors", () => {
  test.each([
    ["{{upper .Missing}}", {}, 'template: :1:8: executing "" at <.Missing>: invalid value; expected string'],
    ["{{truncate .A 1.5}}", { A: "x" }, 'template: :1:14: executing "" at <1.5>: expected integer; found 1.5'],
    ["{{truncate .A .B}}", { A: "x", B: "y" }, 'template: :1:14: executing "" at <.B>: wrong type for value; expected int; got string'],
    ["{{join .A \",\"}}", { A: "x" }, 'template: :1:2: executing "" at <join .A ",">: error calling join: expected slice, got string'],
    ["{{index .A 5}}", { A: [1] }, 'template: :1:2: executing "" at <index .A 5>: error calling index: index out of range: 5'],
    ["{{.A.B}}", { A: null }, 'template: :1:4: executing "" at <.A.B>: nil pointer evaluating interface {}.B'],
    ["{{.A.B}}", { A: "s" }, 'template: :1:4: executing "" at <.A.B>: can\'t evaluate field B in type string'],
    ["{{len 3}}", {}, 'template: :1:2: executing "" at <len 3>: error calling len: len of type int'],
    ["{{eq 1 \"a\"}}", {}, 'template: :1:2: executing "" at <eq 1 "a">: error calling eq: incompatible types for comparison'],
    ["{{lt true false}}", {}, 'template: :1:2: executing "" at <lt true false>: error calling lt: invalid type for comparison'],
    ["{{eq .A .A}}", { A: [1] }, 'template: :1:2: executing "" at <eq .A .A>: error calling eq: non-comparable type [1]: []interface {}'],
    ["{{printf}}", {}, 'template: :1:2: executing "" at <printf>: wrong number of args for printf: want at least 1 got 0'],
    ["{{upper \"a\" \"b\"}}", {}, 'template: :1:2: executing "" at <upper>: wrong number of args for upper: want 1 got 2'],
    ["{{.X | .Y}}", {}, 'template: :1:7: executing "" at <.Y>: Y is not a method but has arguments'],
    ["{{range .}}{{end}}", "str", 'template: :1:8: executing "" at <{{range .}}{{end}}>: range can\'t iterate over str'],
    ["{{pad \"a\" -1 0}}", {}, 'template: :1:2: executing "" at <pad "a" -1 0>: error calling pad: strings: negative Repeat count'],
    ["{{json .}}", NaN, 'template: :1:2: executing "" at <json .>: error calling json: json: unsupported value: NaN'],
    ["x\n  {{printf \"%s\" .Config.Labels.Very.Long.Path.Here.And.There}} {{.X.Y}}", { X: 1 }, 'template: :2:67: executing "" at <.X.Y>: can\'t evaluate field Y in type int'],
    ["{{index .Name.Of.A.Long.Field 1 2 3}}", {}, 'template: :1:2: executing "" at <index .Name.Of.A.Lon...>: error calling index: index of untyped nil'],
  ])("%j", (text, data, message) => {
    expect(failure(text, data)).toBe(message);
  });

  test("columns count bytes, as Go does", () => {
    expect(failure("é {{.A.B}}", { A: 1 })).toMatch(/^template: :1:7: /);
  });

  test("run keeps the output written before the error", () => {
    const r = Template.parse("a{{.X}}b{{.Y.Z}}c").run({ X: 1, Y: 2 });
    expect(r.output).toBe("a1b");
    expect(r.error).toBeInstanceOf(TemplateError);
  });
});
