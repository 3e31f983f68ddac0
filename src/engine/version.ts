import { release } from "node:os";
import { API_VERSION, MIN_API_VERSION, VERSION } from "../version.js";

// `version` / GET /version: the engine's versions in Docker's shape (moby's
// types.Version, Go's names for the architecture). The docker CLI prints
// them; docker-py negotiates its API version from ApiVersion. The engine
// runs on Node where Docker's runs on Go: GoVersion says which.

export interface VersionInfo {
  Platform: { Name: string };
  Components: { Name: string; Version: string; Details: Record<string, string> }[];
  Version: string;
  ApiVersion: string;
  MinAPIVersion: string;
  GitCommit: string;
  GoVersion: string;
  Os: string;
  Arch: string;
  KernelVersion: string;
  BuildTime: string;
}

/** Node's process.arch in Go's GOARCH words, as Docker reports it. */
export function goArch(arch: string = process.arch): string {
  const map: Record<string, string> = { x64: "amd64", ia32: "386", arm64: "arm64", arm: "arm", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64", loong64: "loong64", mipsel: "mipsle" };
  return map[arch] ?? arch;
}

export function versionInfo(kernel: string = release()): VersionInfo {
  const runtime = `node${process.versions.node}`;
  return {
    Platform: { Name: "skiff" },
    Components: [
      {
        Name: "Engine",
        Version: VERSION,
        Details: { ApiVersion: API_VERSION, Arch: goArch(), BuildTime: "", Experimental: "false", GitCommit: "", GoVersion: runtime, KernelVersion: kernel, MinAPIVersion: MIN_API_VERSION, Os: "linux" },
      },
    ],
    Version: VERSION,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: "",
    GoVersion: runtime,
    Os: "linux",
    Arch: goArch(),
    KernelVersion: kernel,
    BuildTime: "",
  };
}
