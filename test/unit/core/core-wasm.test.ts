import { readFileSync } from "node:fs";
import wabtInit from "wabt";
import { beforeAll, describe, expect, it } from "vitest";
import { CORE_EXPORTS, instantiateCore, layoutSignature } from "../../../src/core/module.js";
import { ensureCoreWasm, wasmPath } from "./fixtures.js";

beforeAll(() => ensureCoreWasm());

describe("build/core.wasm", () => {
  it("is a valid module with exactly the exports the host uses", async () => {
    const wabt = await wabtInit();
    const module = wabt.readWasm(readFileSync(wasmPath), { readDebugNames: false });
    try {
      module.validate(); // throws with wabt's diagnostics when invalid
      const text = module.toText({});
      const exports = [...text.matchAll(/\(export "([^"]+)"/g)].map((m) => m[1]).sort();
      expect(exports).toEqual([...CORE_EXPORTS].sort());
      // No imports: the core does no I/O and needs nothing from the host.
      expect(text).not.toMatch(/\(import /);
    } finally {
      module.destroy();
    }
  });

  it("was built from this host's layout", () => {
    expect(instantiateCore().layoutSignature() >>> 0).toBe(layoutSignature());
  });
});
