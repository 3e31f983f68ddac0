import { InvalidArgumentError, NotFoundError } from "../errors.js";
import type { Descriptor, Index, Platform } from "./types.js";

// Platform selection in an image index (image-spec image-index.md): the
// host's os/architecture/variant unless --platform says otherwise.

const ARCH: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64" };

export function hostPlatform(): Platform {
  const architecture = ARCH[process.arch] ?? process.arch;
  const p: Platform = { os: "linux", architecture };
  if (architecture === "arm64") p.variant = "v8";
  return p;
}

export function parsePlatform(s: string): Platform {
  const parts = s.toLowerCase().split("/");
  if (parts.length < 2 || parts.length > 3 || parts.some((x) => !x))
    throw new InvalidArgumentError(`invalid platform "${s}"`, "use os/arch[/variant], e.g. linux/amd64 or linux/arm/v7");
  return { os: parts[0]!, architecture: parts[1]!, variant: parts[2] };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}

function variantMatches(want: Platform, have: Platform): boolean {
  if (!want.variant) return true;
  // arm64 images rarely spell out v8.
  if (want.architecture === "arm64" && want.variant === "v8" && !have.variant) return true;
  return want.variant === have.variant;
}

export function matches(want: Platform, have: Platform | undefined): boolean {
  return !!have && have.os === want.os && have.architecture === want.architecture && variantMatches(want, have);
}

export function selectManifest(index: Index, want: Platform, what: string): Descriptor {
  const hit = index.manifests.find((m) => matches(want, m.platform) && !m.annotations?.["vnd.docker.reference.type"]);
  if (!hit)
    throw new NotFoundError(
      `no matching manifest for ${formatPlatform(want)} in the manifest list entries of ${what}`,
      `available: ${index.manifests.map((m) => (m.platform ? formatPlatform(m.platform) : "unknown")).filter((x) => x !== "unknown/unknown").join(", ") || "none"}; choose one with --platform`,
    );
  return hit;
}
