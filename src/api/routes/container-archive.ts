import { exportContainer, getArchive, putArchive, statContainerPath, type PathStat } from "../../engine/container-files.js";
import type { Engine } from "../../engine/engine.js";
import { InvalidArgumentError } from "../../errors.js";
import type { ApiCall } from "../call.js";
import { encodePathStat } from "../path-stat.js";
import type { Route } from "../router.js";

// A container's files (moby daemon/server/router/container/copy.go): the
// archive trio `docker cp` and testcontainers use — HEAD to stat a path,
// GET for a tar of it, PUT to extract a tar into a directory, also into a
// container created but not started — and export, the whole root as a tar.

const STAT_HEADER = "X-Docker-Container-Path-Stat";

function pathParam(c: ApiCall): string {
  const path = c.query.string("path");
  if (!path) throw new InvalidArgumentError("path must not be empty: give ?path=");
  return path;
}

function statHeader(stat: PathStat): string {
  return encodePathStat({ name: stat.name, size: stat.size, mode: stat.mode, mtimeNs: BigInt(stat.mtime.getTime()) * 1_000_000n, linkTarget: stat.linkTarget });
}

export function containerArchiveRoutes(engine: Engine): Route[] {
  const name = (c: ApiCall) => c.param("name");
  return [
    {
      method: "HEAD",
      path: "/containers/{name}/archive",
      handle: async (c) => {
        const stat = await statContainerPath(engine, name(c), pathParam(c));
        c.res.setHeader(STAT_HEADER, statHeader(stat));
        c.sendStatus(200);
      },
    },
    {
      method: "GET",
      path: "/containers/{name}/archive",
      handle: async (c) => {
        const archive = await getArchive(engine, name(c), pathParam(c));
        c.res.writeHead(200, { "Content-Type": "application/x-tar", [STAT_HEADER]: statHeader(archive.stat) });
        await archive.write(c.res);
      },
    },
    {
      method: "PUT",
      path: "/containers/{name}/archive",
      handle: async (c) => {
        await putArchive(engine, name(c), pathParam(c), c.bodyStream(), { noOverwriteDirNonDir: c.query.bool("noOverwriteDirNonDir"), copyUIDGID: c.query.bool("copyUIDGID") });
        c.sendStatus(200);
      },
    },
    {
      method: "GET",
      path: "/containers/{name}/export",
      handle: async (c) => {
        // The headers go with the first bytes of the tar: a container that does not exist still gets its 404.
        c.res.setHeader("Content-Type", "application/x-tar");
        await exportContainer(engine, name(c), c.res);
      },
    },
  ];
}
