#!/usr/bin/env node
// Writes docs/configuration.md from the server's option table (packages/server/src/config-options.ts).
// Run after `npm run build`: node scripts/write-config-docs.mjs [--check]
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { renderConfigurationDoc } from "@wsspaces/server";

const target = fileURLToPath(new URL("../docs/configuration.md", import.meta.url));
const fresh = renderConfigurationDoc();
if (process.argv.includes("--check")) {
  if (readFileSync(target, "utf8") !== fresh) {
    console.error("docs/configuration.md is out of date: run node scripts/write-config-docs.mjs");
    process.exit(1);
  }
} else {
  writeFileSync(target, fresh);
  console.log(`wrote ${target}`);
}
