import { afterAll, beforeAll, expect, test } from "vitest";
import { isRoot } from "../../helpers/cli.js";
import { startApiFixture, type ApiFixture } from "./api-fixture.js";
import { hasDockerPy, runClient } from "./service-process.js";

// docker-py, the library docker-compose 1.29 drives the engine with, taking
// a service through what compose does on `up`: its project network with
// labels, a container created on it with an alias, the check that decides
// whether compose reconnects it (its short id among the aliases), an attach
// with logs before the start, the wait, and `down`.

let f: ApiFixture;
beforeAll(async () => {
  if (!isRoot && hasDockerPy) f = await startApiFixture();
});
afterAll(async () => {
  await f?.stop();
});

const script = String.raw`
import docker, json, sys
c = docker.APIClient(base_url=sys.argv[1], version='auto')
labels = {'com.docker.compose.project': 'proj', 'com.docker.compose.network': 'default', 'com.docker.compose.version': '1.29.2'}
c.create_network('proj_default', driver='bridge', labels=labels)
net = c.inspect_network('proj_default')
ctr = c.create_container(
    'busybox', command=['sh', '-c', 'echo from-compose; echo oops >&2; exit 5'], name='proj_svc_1',
    labels={'com.docker.compose.project': 'proj', 'com.docker.compose.service': 'svc'},
    host_config=c.create_host_config(network_mode='proj_default', restart_policy={'Name': 'no'}, log_config={'Type': 'json-file', 'Config': {}}),
    networking_config=c.create_networking_config({'proj_default': c.create_endpoint_config(aliases=['svc'])}))
aliases = c.inspect_container(ctr)['NetworkSettings']['Networks']['proj_default']['Aliases']
stream = c.attach(ctr, stdout=True, stderr=True, stream=True, logs=True)
c.start(ctr)
out = b''.join(stream).decode()
code = c.wait(ctr)['StatusCode']
listed = [x['Names'] for x in c.containers(all=True, filters={'label': ['com.docker.compose.project=proj', 'com.docker.compose.service=svc']})]
listed += [x['Names'] for x in c.containers(all=True, filters={'label': 'com.docker.compose.service=other'})]
c.remove_container(ctr)
c.remove_network('proj_default')
print(json.dumps({'labels': net['Labels'], 'options': net['Options'], 'driver': net['Driver'], 'aliases': aliases,
                  'short': ctr['Id'][:12], 'out': out, 'code': code, 'listed': listed}))
`;

test.skipIf(isRoot || !hasDockerPy)("docker-py through compose 1.29's steps: network, create with an alias, attach with logs, start, wait", async () => {
  const r = await runClient("/usr/bin/python3", ["-c", script, `unix://${f.sock}`]);
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(out.labels).toEqual({ "com.docker.compose.project": "proj", "com.docker.compose.network": "default", "com.docker.compose.version": "1.29.2" });
  expect(out.options).toEqual({});
  expect(out.driver).toBe("bridge");
  // compose reconnects a container whose aliases lack its short id.
  expect(out.aliases).toEqual(expect.arrayContaining(["svc", out.short]));
  expect(out.out.split("\n").sort()).toEqual(["", "from-compose", "oops"]);
  expect(out.code).toBe(5);
  expect(out.listed).toEqual([["/proj_svc_1"]]);
});
