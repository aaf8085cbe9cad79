#!/usr/bin/env node
// Summarises a V8 .cpuprofile (node --cpu-prof): the top functions by self time, and self time
// grouped by where the code lives (a package under node_modules, a workspace package, Node's
// own lib, GC/native). Usage: node bench/cpuprofile-summary.mjs FILE.cpuprofile [--top 25]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

/** Where a function's code lives, for grouping. */
export function codeArea(url) {
  if (!url) return "(native / VM)";
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1];
  const workspace = /\/packages\/([^/]+)\//.exec(url);
  if (workspace) return `@wsspaces/${workspace[1]}`;
  if (url.startsWith("node:")) return "node:" + url.slice(5).split("/")[0];
  return url.replace(/^file:\/\//, "");
}

/** { totalMs, functions: [{name, where, selfMs, percent}], areas: [{area, selfMs, percent}] } */
export function summarise(profile, top = 25) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
  }
  const functions = new Map();
  const areas = new Map();
  for (const [id, ms] of self) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const name = functionName || "(anonymous)";
    const file = url ? url.replace(/^.*\/(node_modules|packages)\//, "$1/") : "";
    const where = file ? `${file}:${lineNumber + 1}` : "";
    const key = `${name}\u0000${where}`;
    const entry = functions.get(key) ?? { name, where, selfMs: 0 };
    entry.selfMs += ms;
    functions.set(key, entry);
    const area = ["(garbage collector)", "(program)", "(idle)"].includes(name) ? name : codeArea(url);
    areas.set(area, (areas.get(area) ?? 0) + ms);
  }
  const pct = (ms) => Math.round((ms / total) * 1000) / 10;
  return {
    totalMs: Math.round(total),
    functions: [...functions.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, top).map((f) => ({ ...f, selfMs: Math.round(f.selfMs), percent: pct(f.selfMs) })),
    areas: [...areas].sort((a, b) => b[1] - a[1]).slice(0, top).map(([area, ms]) => ({ area, selfMs: Math.round(ms), percent: pct(ms) })),
  };
}

export function summaryMarkdown(summary) {
  const lines = [`Sampled ${summary.totalMs} ms.`, "", "| self % | self ms | function | where |", "| ---: | ---: | --- | --- |"];
  for (const f of summary.functions) lines.push(`| ${f.percent} | ${f.selfMs} | \`${f.name}\` | ${f.where} |`);
  lines.push("", "| self % | self ms | code area |", "| ---: | ---: | --- |");
  for (const a of summary.areas) lines.push(`| ${a.percent} | ${a.selfMs} | ${a.area} |`);
  return lines.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: "string" } } });
  if (positionals.length !== 1) {
    console.error("usage: node bench/cpuprofile-summary.mjs FILE.cpuprofile [--top N]");
    process.exit(2);
  }
  console.log(summaryMarkdown(summarise(JSON.parse(readFileSync(positionals[0], "utf8")), Number(values.top ?? 25))));
}
