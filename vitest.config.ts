import { defineConfig } from "vitest/config";

// Integration tests start real namespaces, fuse mounts and registries: give
// them room, and keep files in separate workers so a stuck mount cannot stall
// the whole run.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    globalSetup: ["test/setup/global.ts"],
  },
});
