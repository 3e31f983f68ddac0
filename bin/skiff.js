#!/usr/bin/env node
// Kept tiny: everything is loaded lazily by the command that needs it.
import { main } from "../build/js/cli/main.js";
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
