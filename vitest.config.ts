import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

// Integration tests start real namespaces, fuse mounts and registries: give
// them room, and keep files in separate processes so a stuck mount cannot
// stall the whole run. The cache lives outside the checkout so the suite can
// run as an unprivileged user on a tree it does not own.
export default defineConfig({
  cacheDir: join(tmpdir(), `skiff-vitest-${process.getuid?.() ?? 0}`),
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    globalSetup: ["test/setup/global.ts"],
  },
});
