import { describe, expect, test } from "vitest";
import { formatList, templateText } from "../../../src/gotext/list.js";
import { TemplateError } from "../../../src/gotext/template/error.js";

const PS_TABLE = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";
const PS_HEADERS = {
  ID: "CONTAINER ID", Image: "IMAGE", Command: "COMMAND", CreatedAt: "CREATED AT", RunningFor: "CREATED",
  Ports: "PORTS", State: "STATE", Status: "STATUS", Size: "SIZE", Names: "NAMES", Labels: "LABELS",
};

const labels: Record<string, string> = { "com.docker.compose.project": "shop", tier: "front" };
const rows = [
  {
    ID: "90435eec5c4e", Image: "busybox", Command: "\"sh -c 'echo hello; …\"", RunningFor: "3 minutes ago",
    Status: "Up 3 minutes", State: "running", Ports: "0.0.0.0:8080->80/tcp", Names: "gallant_wu",
    Labels: "com.docker.compose.project=shop,tier=front",
    Label: (name: string) => labels[name] ?? "",
  },
  {
    ID: "0123456789ab", Image: "registry.example.com/team/app:1.2.3", Command: '"/docker-entrypoint.…"',
    RunningFor: "2 hours ago", Status: "Exited (0) 5 seconds ago", State: "exited", Ports: "", Names: "x", Labels: "",
    Label: () => "",
  },
];
const ps = (format?: string) =>
  formatList(rows, { format, defaultFormat: PS_TABLE, headers: PS_HEADERS, rowType: "*formatter.ContainerContext" });

describe("formatList", () => {
  test("the default table", () => {
    const expected =
      "CONTAINER ID   IMAGE                                 COMMAND                  CREATED         STATUS                     PORTS                  NAMES\n" +
      "90435eec5c4e   busybox                               \"sh -c 'echo hello; …\"   3 minutes ago   Up 3 minutes               0.0.0.0:8080->80/tcp   gallant_wu\n" +
      "0123456789ab   registry.example.com/team/app:1.2.3   \"/docker-entrypoint.…\"   2 hours ago     Exited (0) 5 seconds ago                          x\n";
    expect(ps()).toBe(expected);
    expect(ps("")).toBe(expected);
    expect(ps("table")).toBe(expected);
  });

  test("a custom table: titles from the header map, literal \\t from the command line", () => {
    expect(ps("table {{.ID}}\\t{{.Names}}\\t{{.State}}")).toBe(
      "CONTAINER ID   NAMES        STATE\n" + "90435eec5c4e   gallant_wu   running\n" + "0123456789ab   x            exited\n",
    );
  });

  test("header functions leave titles alone; label columns are titled by their last part", () => {
    expect(ps('table {{.Names | upper}}\\t{{.Label "com.docker.compose.project"}}\\t{{pad .State 1 1}}')).toBe(
      "NAMES        project    STATE \n" + "GALLANT_WU   shop       running \n" + "X                       exited \n",
    );
  });

  test("json: one object per line, keys sorted, HTML characters escaped as json.Marshal does", () => {
    const out = ps("json").split("\n");
    expect(out).toHaveLength(3);
    expect(out[2]).toBe("");
    expect(JSON.parse(out[0]!)).toMatchObject({ ID: "90435eec5c4e", Ports: "0.0.0.0:8080->80/tcp" });
    expect(out[0]).toBe(
      '{"Command":"\\"sh -c \'echo hello; …\\"","ID":"90435eec5c4e","Image":"busybox",' +
        '"Labels":"com.docker.compose.project=shop,tier=front","Names":"gallant_wu","Ports":"0.0.0.0:8080-\\u003e80/tcp",' +
        '"RunningFor":"3 minutes ago","State":"running","Status":"Up 3 minutes"}',
    );
    expect(ps("{{json .}}")).toBe(ps("json"));
  });

  test("a plain template, one line per row", () => {
    expect(ps("{{.Names}}: {{.Status}}")).toBe("gallant_wu: Up 3 minutes\nx: Exited (0) 5 seconds ago\n");
    expect(ps("{{.ID}}\\t{{.Names}}")).toBe("90435eec5c4e\tgallant_wu\n0123456789ab\tx\n");
    expect(ps("{{json .Names}}")).toBe('"gallant_wu"\n"x"\n');
  });

  test("no rows: a table still has its header; other formats print nothing", () => {
    const none = (format?: string) => formatList([], { format, defaultFormat: PS_TABLE, headers: PS_HEADERS });
    expect(none()).toBe("CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n");
    expect(none("json")).toBe("");
    expect(none("{{.ID}}")).toBe("");
  });

  test("errors carry Docker's prefix and exit code 125", () => {
    const fail = (format: string) => {
      try {
        ps(format);
      } catch (e) {
        expect(e).toBeInstanceOf(TemplateError);
        expect((e as TemplateError).code).toBe(125);
        return (e as Error).message;
      }
      throw new Error("expected a failure");
    };
    expect(fail("{{.Nope}}")).toBe(
      'template parsing error: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.ContainerContext',
    );
    expect(fail("table {{.ID")).toBe("template parsing error: template: :1: unclosed action");
    expect(fail("{{nope .}}")).toBe('template parsing error: template: :1: function "nope" not defined');
  });
});

describe("templateText", () => {
  test.each([
    ["json", "{{json .}}"],
    ["table", ""],
    ["table {{.ID}}\\t{{.Name}}", "{{.ID}}\t{{.Name}}"],
    ["  {{.ID}}\\n  ", "{{.ID}}\n"],
    ["{{.ID}}\t ", "{{.ID}}\t"],
    ["tablefoo{{.ID}}", "foo{{.ID}}"],
  ])("%j → %j", (format, text) => {
    expect(templateText(format)).toBe(text);
  });
});
