#!/usr/bin/env node
// The root `wsspaces` command: the server package's CLI (run `npm run build` first).
import "../packages/server/dist/cli/main.js";
