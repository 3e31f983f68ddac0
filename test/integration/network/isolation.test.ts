import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SkiffEnv, isRoot } from "../../helpers/cli.js";
import { loadBusybox } from "../../helpers/busybox.js";
import { retry } from "./net-helpers.js";

// Between user-defined networks: no traffic; a container on two reaches
// both; connect and disconnect take effect on a running container;
// --internal has no way out, a normal network reaches the host.

let env: SkiffEnv;
beforeAll(async () => {
  env = new SkiffEnv();
  await loadBusybox(env, "busybox:latest", [
    { path: "www/", type: "dir" },
    { path: "www/index.html", content: "served\n" },
  ]);
  await env.ok(["network", "create", "front"]);
  await env.ok(["network", "create", "back"]);
});
afterAll(async () => {
  await env?.run(["rm", "-f", "-a"]).catch(() => {});
  await env?.run(["network", "prune", "-f"]).catch(() => {});
  env?.cleanup();
});

const ipOn = async (ctr: string, net: string) => JSON.parse(await env.ok(["inspect", ctr]))[0].NetworkSettings.Networks[net]?.IPAddress as string;
const reach = (from: string, url: string) => env.run(["exec", from, "wget", "-T", "2", "-qO-", url]);

describe.skipIf(isRoot)("isolation between user-defined networks", () => {
  test("no traffic between two networks; a container on both reaches both; connect/disconnect work live", async () => {
    await env.ok(["run", "-d", "--name", "web-front", "--network", "front", "busybox", "httpd", "-f", "-p", "80", "-h", "/www"]);
    await env.ok(["run", "-d", "--name", "web-back", "--network", "back", "busybox", "httpd", "-f", "-p", "80", "-h", "/www"]);
    await env.ok(["run", "-d", "--name", "both", "--network", "front", "--network", "back", "busybox", "sleep", "300"]);
    const frontIp = await ipOn("web-front", "front");
    const backIp = await ipOn("web-back", "back");
    expect((await env.ok(["exec", "both", "sh", "-c", retry(`wget -qO- http://${frontIp}/ >/dev/null`) + `; wget -qO- http://web-front/; wget -qO- http://web-back/`]))).toBe("served\nserved\n");
    const [info] = JSON.parse(await env.ok(["inspect", "both"]));
    expect(Object.keys(info.NetworkSettings.Networks).sort()).toEqual(["back", "front"]);
    expect(await env.ok(["ps", "--filter", "name=both", "--format", "{{.Networks}}"])).toBe("front,back\n");
    // From front, back's address is not reachable (and its name does not resolve).
    const cross = await reach("web-front", `http://${backIp}/`);
    expect(cross.code).not.toBe(0);
    // connect: the running web-front gets an interface on back, and reaches web-back by name.
    await env.ok(["network", "connect", "--alias", "joined", "back", "web-front"]);
    expect((await env.ok(["exec", "web-front", "sh", "-c", `${retry("wget -qO- http://web-back/ >/dev/null")}; wget -qO- http://web-back/`]))).toBe("served\n");
    expect((await env.ok(["exec", "web-back", "wget", "-qO-", "http://joined/"]))).toBe("served\n");
    const again = await env.run(["network", "connect", "back", "web-front"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^Error: endpoint with name web-front already exists in network back\n/);
    // disconnect: the interface goes, and with it the way to back.
    await env.ok(["network", "disconnect", "back", "web-front"]);
    expect([...(await env.ok(["exec", "web-front", "ip", "-o", "link"])).matchAll(/^\d+: (eth\d+)[@:]/gm)].map((m) => m[1])).toEqual(["eth0"]);
    expect((await reach("web-front", `http://${backIp}/`)).code).not.toBe(0);
    const notOn = await env.run(["network", "disconnect", "back", "web-front"]);
    expect(notOn.code).toBe(1);
    expect(notOn.stderr).toMatch(/is not connected to network back/);
    await env.ok(["rm", "-f", "web-front", "web-back", "both"]);
  });

  test("--internal has no route out; a normal user network reaches a TCP server on the host through its gateway", async () => {
    const server: Server = createServer((_req, res) => res.end("host says hi\n"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    try {
      await env.ok(["network", "create", "--internal", "sealed"]);
      const gw = JSON.parse(await env.ok(["network", "inspect", "front"]))[0].IPAM.Config[0].Gateway;
      expect(await env.ok(["run", "--rm", "--network", "front", "busybox", "wget", "-qO-", `http://${gw}:${port}/`])).toBe("host says hi\n");
      // host-gateway names the same way to the host.
      expect(await env.ok(["run", "--rm", "--network", "front", "--add-host", "host.docker.internal:host-gateway", "busybox", "wget", "-qO-", `http://host.docker.internal:${port}/`])).toBe("host says hi\n");
      const sealed = await env.run(["run", "--rm", "--network", "sealed", "busybox", "sh", "-c", `ip route; wget -T 2 -qO- http://10.0.2.2:${port}/`]);
      expect(sealed.code).not.toBe(0);
      expect(sealed.stdout).not.toMatch(/default/);
      // Names of the internal network still resolve inside it.
      await env.ok(["run", "-d", "--name", "inside", "--network", "sealed", "busybox", "httpd", "-f", "-p", "80", "-h", "/www"]);
      expect(await env.ok(["run", "--rm", "--network", "sealed", "busybox", "sh", "-c", `${retry("wget -qO- http://inside/ >/dev/null")}; wget -qO- http://inside/`])).toBe("served\n");
      await env.ok(["rm", "-f", "inside"]);
    } finally {
      server.close();
    }
  });
});
