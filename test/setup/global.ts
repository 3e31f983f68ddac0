// Runs once before the whole suite. Integration helpers start their own
// registries and stores per file; this only checks the build is there so a
// missing `npm run build` fails with one clear line, not hundreds.
import { existsSync } from "node:fs";
import { join } from "node:path";

export default function setup(): void {
  const root = join(import.meta.dirname, "..", "..");
  for (const f of ["build/js/cli/main.js", "build/core.wasm"]) {
    if (!existsSync(join(root, f))) {
      // Unit tests run from sources and do not need these; integration tests say so themselves.
      process.env.SKIFF_BUILD_MISSING = (process.env.SKIFF_BUILD_MISSING ?? "") + f + " ";
    }
  }
}
