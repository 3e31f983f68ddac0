import { describe, expect, test } from "vitest";
import { describeTarget, parseListenUri, tcpWarning } from "../../../src/api/listener.js";
import { activatedSocket, serviceUnit, socketUnit, unitPath, withoutActivation } from "../../../src/api/systemd.js";

// Where the service listens, and the systemd side of it: addresses as users
// write them, socket activation's handshake, the unit files.

describe("listen addresses", () => {
  test("unix and tcp in the spellings Docker and podman users write", () => {
    expect(parseListenUri("unix:///run/user/1000/skiff/skiff.sock")).toEqual({ kind: "unix", path: "/run/user/1000/skiff/skiff.sock" });
    expect(parseListenUri("unix:/tmp/x.sock")).toEqual({ kind: "unix", path: "/tmp/x.sock" });
    expect(parseListenUri("tcp://0.0.0.0:2375")).toEqual({ kind: "tcp", host: "0.0.0.0", port: 2375 });
    expect(parseListenUri("tcp://:2375")).toEqual({ kind: "tcp", host: "127.0.0.1", port: 2375 });
    expect(parseListenUri("tcp:localhost:8080")).toEqual({ kind: "tcp", host: "localhost", port: 8080 });
    expect(parseListenUri("tcp://[::1]:2375")).toEqual({ kind: "tcp", host: "::1", port: 2375 });
    expect(describeTarget({ kind: "tcp", host: "::1", port: 2375 })).toBe("tcp://[::1]:2375");
  });

  test("what cannot be served is refused with the forms that can", () => {
    for (const [uri, message] of [
      ["unix://relative.sock", 'invalid socket address "unix://relative.sock": the path must be absolute'],
      ["tcp://host", 'invalid TCP address "tcp://host"'],
      ["tcp://:0", 'invalid TCP address "tcp://:0"'],
      ["tcp://:70000", 'invalid TCP address "tcp://:70000"'],
      ["npipe:////./pipe/docker", 'unsupported address "npipe:////./pipe/docker": only unix:// and tcp:// are served'],
    ]) {
      let err: { message?: string; hint?: string; status?: number } = {};
      try {
        parseListenUri(uri!);
      } catch (e) {
        err = e as typeof err;
      }
      expect(err.message, uri).toBe(message);
      expect(err.hint).toBe("give unix:///absolute/path.sock or tcp://127.0.0.1:PORT");
    }
  });

  test("a TCP listener is always announced with who can take control", () => {
    expect(tcpWarning({ kind: "tcp", host: "127.0.0.1", port: 2375 })).toMatch(/^WARNING: .* anyone on this host controls your containers/);
    expect(tcpWarning({ kind: "tcp", host: "0.0.0.0", port: 2375 })).toMatch(/anyone who can reach it over the network controls your containers/);
  });
});

describe("systemd", () => {
  test("a socket is taken only when LISTEN_PID names this process", () => {
    expect(activatedSocket({ LISTEN_FDS: "1", LISTEN_PID: "42" }, 42)).toBe(3);
    expect(activatedSocket({ LISTEN_FDS: "2", LISTEN_PID: "42" }, 42)).toBe(3);
    expect(activatedSocket({ LISTEN_FDS: "1", LISTEN_PID: "41" }, 42)).toBeUndefined();
    expect(activatedSocket({ LISTEN_FDS: "0", LISTEN_PID: "42" }, 42)).toBeUndefined();
    expect(activatedSocket({}, 42)).toBeUndefined();
    expect(withoutActivation({ LISTEN_FDS: "1", LISTEN_PID: "42", LISTEN_FDNAMES: "x", HOME: "/h" })).toEqual({ HOME: "/h" });
  });

  test("the unit pair: the runtime directory as %t, paths quoted and % escaped, KillMode=process", () => {
    const listen = { kind: "unix" as const, path: unitPath("/run/user/1000/skiff/skiff.sock", "/run/user/1000") };
    expect(listen.path).toBe("%t/skiff/skiff.sock");
    expect(unitPath("/srv/100%/api.sock", "/run/user/1000")).toBe("/srv/100%%/api.sock");
    const o = { node: "/opt/node 20/bin/node", entry: "/home/u/skiff/bin/skiff.js", listen, globals: ["--root", "/data/100%"] };
    expect(socketUnit(o)).toContain("\n[Socket]\nListenStream=%t/skiff/skiff.sock\nSocketMode=0600\nDirectoryMode=0700\n");
    const service = serviceUnit(o);
    expect(service).toContain('\nExecStart="/opt/node 20/bin/node" /home/u/skiff/bin/skiff.js --root /data/100%% system service\n');
    expect(service).toContain("\nKillMode=process\n");
    expect(socketUnit({ ...o, listen: { kind: "tcp", host: "::1", port: 2375 } })).toContain("\nListenStream=[::1]:2375\n");
  });
});
