import { release } from "node:os";
import { API_VERSION, MIN_API_VERSION, VERSION } from "../version.js";

// `version` / GET /version: the engine's versions as Docker's API answers
// them (Go's names for the architecture), plus the Node.js it runs on.

export interface VersionInfo {
  Version: string;
  ApiVersion: string;
  MinAPIVersion: string;
  Os: string;
  Arch: string;
  KernelVersion: string;
  NodeVersion: string;
  Rootless: boolean;
  Components: { Name: string; Version: string; Details: Record<string, string> }[];
}

/** Node's architecture in Go's words (GOARCH), which Docker's clients print. */
export function goArch(arch: string = process.arch): string {
  return ({ x64: "amd64", arm64: "arm64", ia32: "386", arm: "arm", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64" } as Record<string, string>)[arch] ?? arch;
}

export function versionInfo(): VersionInfo {
  return {
    Version: VERSION,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    Os: "linux",
    Arch: goArch(),
    KernelVersion: release(),
    NodeVersion: process.version,
    Rootless: process.getuid?.() !== 0,
    Components: [{ Name: "Engine", Version: VERSION, Details: { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, Os: "linux", Arch: goArch(), KernelVersion: release() } }],
  };
}
