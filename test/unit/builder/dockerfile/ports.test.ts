import { describe, expect, test } from "vitest";
import { exposedPorts } from "../../../../src/builder/dockerfile/ports.js";

describe("EXPOSE ports", () => {
  test("normalized to port/proto keys", () => {
    expect(exposedPorts(["80", "53/UDP", "8000-8002/tcp", "9000-9000", "127.0.0.1:8080:80", "5000:5000/sctp"])).toEqual([
      "80/tcp", "53/udp", "8000/tcp", "8001/tcp", "8002/tcp", "9000/tcp", "80/tcp", "5000/sctp",
    ]);
  });

  test("errors", () => {
    expect(() => exposedPorts(["/tcp"])).toThrow('invalid port: "/tcp": no port specified');
    expect(() => exposedPorts(["80/http"])).toThrow('invalid port: "80/http": invalid proto: http');
    expect(() => exposedPorts(["http"])).toThrow("invalid containerPort: http");
    expect(() => exposedPorts(["70000"])).toThrow("invalid containerPort: 70000");
    expect(() => exposedPorts(["90-80"])).toThrow("invalid containerPort: 90-80");
    expect(() => exposedPorts(["x:80"])).toThrow("invalid hostPort: x");
  });
});
