#!/usr/bin/env node
// Writes docs/openapi.json from the server's route catalogue (packages/server/src/ops/openapi-catalogue.ts)
// and the protocol's Zod schemas. Run after `npm run build`: node scripts/write-openapi.mjs [--check]
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { openApiJson } from "@wsspaces/server";

const target = fileURLToPath(new URL("../docs/openapi.json", import.meta.url));
const fresh = openApiJson();
if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(target, "utf8");
  } catch {
    // A missing file is simply out of date.
  }
  if (current !== fresh) {
    console.error("docs/openapi.json is out of date: run npm run build && node scripts/write-openapi.mjs");
    process.exit(1);
  }
} else {
  writeFileSync(target, fresh);
  console.log(`wrote ${target}`);
}
