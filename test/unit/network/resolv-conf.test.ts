import { describe, expect, test } from "vitest";
import { resolvConf } from "../../../src/network/etc-files.js";

const HOST = "# written by the host\nnameserver 127.0.0.53\nnameserver 192.0.2.1\nsearch corp.example lab.example\noptions edns0 trust-ad\n";

describe("a container's resolv.conf", () => {
  test("from the host: loopback resolvers dropped in a separate network namespace, slirp's first", () => {
    expect(resolvConf(HOST, { hostNetwork: false, dns: [], nameservers: ["10.0.2.3"] })).toBe(
      "nameserver 10.0.2.3\nnameserver 192.0.2.1\nsearch corp.example lab.example\noptions edns0 trust-ad\n",
    );
    expect(resolvConf(HOST, { hostNetwork: true, dns: [] })).toBe("nameserver 127.0.0.53\nnameserver 192.0.2.1\nsearch corp.example lab.example\noptions edns0 trust-ad\n");
  });

  test("--dns, --dns-search and --dns-option each replace only their own part", () => {
    expect(resolvConf(HOST, { hostNetwork: false, dns: ["9.9.9.9"], nameservers: ["10.0.2.3"] })).toBe("nameserver 9.9.9.9\nsearch corp.example lab.example\noptions edns0 trust-ad\n");
    expect(resolvConf(HOST, { hostNetwork: false, dns: [], dnsSearch: ["a.example"], dnsOptions: ["ndots:2"], nameservers: ["10.0.2.3"] })).toBe(
      "nameserver 10.0.2.3\nnameserver 192.0.2.1\nsearch a.example\noptions ndots:2\n",
    );
    // "." means no search domains at all.
    expect(resolvConf(HOST, { hostNetwork: false, dns: ["9.9.9.9"], dnsSearch: ["."] })).toBe("nameserver 9.9.9.9\noptions edns0 trust-ad\n");
  });
});
