import { locate } from "./errors.js";
import { expandString } from "./shell.js";
import type { ArgInstruction, EscapeToken } from "./types.js";

// Build arguments outside any stage: the automatic platform ARGs, the ARGs
// before the first FROM, and which --build-arg values nothing declared.
// https://docs.docker.com/reference/dockerfile/#automatic-platform-args-in-the-global-scope
// https://docs.docker.com/reference/dockerfile/#predefined-args

export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
}

/** `os/arch[/variant]`, the form --platform takes. */
export const platformString = (p: PlatformSpec) => [p.os, p.architecture, p.variant].filter(Boolean).join("/");

/** Names Docker accepts as --build-arg without any ARG for them. */
export const PROXY_ARGS = ["HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY"];
export const PLATFORM_ARGS = [
  "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT", "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
];

function isPredefined(name: string): boolean {
  return (
    PROXY_ARGS.includes(name.toUpperCase()) ||
    PLATFORM_ARGS.includes(name) ||
    name.startsWith("BUILDKIT_") ||
    name === "SOURCE_DATE_EPOCH"
  );
}

/** The automatic platform ARGs; a --build-arg of the same name overrides one. */
export function platformArgs(build: PlatformSpec, target: PlatformSpec, buildArgs: ReadonlyMap<string, string>): Map<string, string> {
  const values: [string, string][] = [
    ["BUILDPLATFORM", platformString(build)],
    ["BUILDOS", build.os],
    ["BUILDARCH", build.architecture],
    ["BUILDVARIANT", build.variant ?? ""],
    ["TARGETPLATFORM", platformString(target)],
    ["TARGETOS", target.os],
    ["TARGETARCH", target.architecture],
    ["TARGETVARIANT", target.variant ?? ""],
  ];
  return new Map(values.map(([k, v]) => [k, buildArgs.get(k) ?? v]));
}

/**
 * Add the ARGs before the first FROM to the global scope, in order: the
 * --build-arg value, else the default expanded with the globals so far.
 * An ARG with neither leaves the name as it was (an automatic ARG keeps its value).
 */
export function globalScope(
  metaArgs: ArgInstruction[],
  base: ReadonlyMap<string, string>,
  buildArgs: ReadonlyMap<string, string>,
  escape: EscapeToken,
  fileName: string,
): Map<string, string> {
  const scope = new Map(base);
  for (const ins of metaArgs) {
    try {
      for (const def of ins.definitions) {
        if (buildArgs.has(def.name)) scope.set(def.name, buildArgs.get(def.name)!);
        else if (def.value !== undefined) scope.set(def.name, expandString(def.value, scope, { escape }));
      }
    } catch (err) {
      locate(err, { file: fileName, line: ins.startLine, endLine: ins.endLine, instruction: "ARG" });
    }
  }
  return scope;
}

/**
 * --build-arg names that no ARG in the build declared, for Docker's warning
 * "[Warning] One or more build-args [FOO] were not consumed". Predefined
 * names (proxies, platform, BUILDKIT_*) never count as unused.
 */
export function unusedBuildArgs(buildArgs: ReadonlyMap<string, string>, declared: ReadonlySet<string>): string[] {
  return [...buildArgs.keys()].filter((k) => !declared.has(k) && !isPredefined(k)).sort();
}
