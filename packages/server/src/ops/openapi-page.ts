import { escapeHtml, html, rawHtml, type SafeHtml } from "../util/html.js";
import type { JsonSchema, MediaTypeObject, OpenApiDocument, OperationObject, ParameterObject, SecurityRequirement } from "./openapi-types.js";

/*
 * `GET /docs`: the OpenAPI document as one self-contained page, rendered on the server. No
 * scripts and no external resources (the Content-Security-Policy allows neither); every piece of
 * text goes through the escaping `html` template.
 */

interface Entry {
  method: string;
  path: string;
  op: OperationObject;
}

const SCHEME_NAMES: Record<string, string> = {
  apiKey: "API key (Authorization: Bearer wsk_…)",
  sessionCookie: "session cookie",
  csrfToken: "x-csrf-token header",
  metricsToken: "metrics token (bearer)",
};

export function renderOpenApiPage(doc: OpenApiDocument): string {
  const entries: Entry[] = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
  );
  const byTag = doc.tags.map((tag) => ({ tag, entries: entries.filter((e) => e.op.tags.includes(tag.name)) }));
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${doc.info.title}</title>
<style>${rawHtml(STYLE)}</style>
</head>
<body>
<header>
<h1>${doc.info.title} <small>${doc.info.version}</small></h1>
${paragraphs(doc.info.description)}
<p>OpenAPI ${doc.openapi} document: <a href="/openapi.json">/openapi.json</a>.</p>
</header>
<nav>
${byTag.map(({ tag, entries: list }) => html`<h2><a href="#tag-${anchor(tag.name)}">${tag.name}</a></h2>
<ul>${list.map((e) => html`<li><a href="#op-${anchor(e.op.operationId)}">${methodBadge(e.method)} <code>${e.path}</code></a> ${e.op.summary}</li>`)}</ul>`)}
<h2><a href="#auth">authentication</a></h2>
<h2><a href="#schemas">schemas</a></h2>
</nav>
<main>
<section id="auth">
<h2>Authentication</h2>
<dl>${Object.entries(doc.components.securitySchemes).map(([name, scheme]) => html`<dt><code>${name}</code> — ${schemeLabel(name)}</dt><dd>${inline(scheme.description)}</dd>`)}</dl>
</section>
${byTag.map(({ tag, entries: list }) => html`<section id="tag-${anchor(tag.name)}">
<h2>${tag.name}</h2>
${paragraphs(tag.description)}
${list.map(operation)}
</section>`)}
<section id="schemas">
<h2>Schemas</h2>
${Object.entries(doc.components.schemas).map(([name, schema]) => html`<article class="schema" id="schema-${anchor(name)}"><h3>${name}</h3>${jsonBlock(schema)}</article>`)}
</section>
</main>
</body>
</html>
`;
  return page.value;
}

function operation({ method, path, op }: Entry): SafeHtml {
  return html`<article class="op" id="op-${anchor(op.operationId)}">
<h3>${methodBadge(method)} <code>${path}</code></h3>
<p class="summary">${op.summary}</p>
${paragraphs(op.description)}
<p><strong>Credentials:</strong> ${securityText(op.security)}</p>
${op.parameters ? parameterTable(op.parameters) : html``}
${op.requestBody ? html`<h4>Request body${op.requestBody.required ? "" : " (optional)"}</h4>${contentBlocks(op.requestBody.content)}` : html``}
<h4>Responses</h4>
<table><thead><tr><th>Status</th><th>Meaning</th><th>Body</th></tr></thead><tbody>
${Object.entries(op.responses).map(([status, response]) => html`<tr><td><code>${status}</code></td><td>${inline(response.description)}</td><td>${response.content ? contentBlocks(response.content) : html`—`}</td></tr>`)}
</tbody></table>
</article>`;
}

function parameterTable(parameters: ParameterObject[]): SafeHtml {
  return html`<h4>Parameters</h4>
<table><thead><tr><th>Name</th><th>In</th><th>Required</th><th>Schema</th><th>Description</th></tr></thead><tbody>
${parameters.map((p) => html`<tr><td><code>${p.name}</code></td><td>${p.in}</td><td>${p.required ? "yes" : "no"}</td><td><code>${JSON.stringify(p.schema)}</code></td><td>${inline(p.description ?? "")}</td></tr>`)}
</tbody></table>`;
}

/** Content types sharing one schema are listed together. */
function contentBlocks(content: Record<string, MediaTypeObject>): SafeHtml {
  const groups = new Map<string, { types: string[]; media: MediaTypeObject }>();
  for (const [type, media] of Object.entries(content)) {
    const key = JSON.stringify(media);
    const group = groups.get(key);
    if (group) group.types.push(type);
    else groups.set(key, { types: [type], media });
  }
  return html`${[...groups.values()].map(({ types, media }) => html`<div class="content"><code>${types.join(", ")}</code>${schemaBlock(media.schema)}${
    media.example !== undefined ? html`<div class="example">Example:</div><pre>${typeof media.example === "string" ? media.example : JSON.stringify(media.example, null, 2)}</pre>` : html``
  }</div>`)}`;
}

function schemaBlock(schema: JsonSchema): SafeHtml {
  const target = schema.$ref;
  if (Object.keys(schema).length === 1 && typeof target === "string") return html` ${refLink(target)}`;
  return jsonBlock(schema);
}

/** Pretty JSON, escaped, with `$ref` targets turned into links to the schema sections. */
function jsonBlock(value: unknown): SafeHtml {
  const escaped = escapeHtml(JSON.stringify(value, null, 2));
  return rawHtml(`<pre>${escaped.replace(/&quot;#\/components\/schemas\/(\w+)&quot;/g, '&quot;<a href="#schema-$1">#/components/schemas/$1</a>&quot;')}</pre>`);
}

function refLink(ref: string): SafeHtml {
  const name = ref.replace("#/components/schemas/", "");
  return html`<a href="#schema-${anchor(name)}">${name}</a>`;
}

function securityText(requirements: SecurityRequirement[]): SafeHtml {
  if (requirements.length === 0) return html`none`;
  const alternatives = requirements.map((req) => {
    const names = Object.keys(req);
    return names.length === 0 ? "none (anonymous)" : names.map(schemeLabel).join(" + ");
  });
  return html`${alternatives.join(" or ")}`;
}

const schemeLabel = (name: string): string => SCHEME_NAMES[name] ?? name;

function methodBadge(method: string): SafeHtml {
  return html`<span class="method m-${method.toLowerCase()}">${method}</span>`;
}

/** Ids for `id=` and `href="#…"`: letters, digits, `-` and `_` only. */
const anchor = (text: string): string => text.replace(/[^A-Za-z0-9_-]/g, "-");

/** Blank-line separated paragraphs with inline formatting. */
function paragraphs(text: string): SafeHtml {
  return html`${text
    .split(/\n{2,}/)
    .filter((p) => p.trim() !== "")
    .map((p) => html`<p>${inline(p)}</p>`)}`;
}

/** Escapes first, then turns `code` and **bold** into markup: the text itself never becomes HTML. */
function inline(text: string): SafeHtml {
  return rawHtml(
    escapeHtml(text)
      .replace(/`([^`]+)`/g, "<code>$1</code>")
      .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>"),
  );
}

const STYLE = `
body { font: 15px/1.5 system-ui, sans-serif; color: #1d1f23; margin: 0; display: grid; grid-template-columns: 20rem 1fr; }
header { grid-column: 1 / -1; padding: 1rem 2rem; border-bottom: 1px solid #ddd; }
header small { color: #666; font-weight: normal; font-size: 0.6em; }
nav { padding: 1rem; border-right: 1px solid #ddd; font-size: 13px; position: sticky; top: 0; align-self: start; max-height: 100vh; overflow: auto; }
nav h2 { font-size: 14px; margin: 1rem 0 0.3rem; text-transform: capitalize; }
nav ul { list-style: none; padding: 0; margin: 0; }
nav li { margin: 0.2rem 0; }
main { padding: 1rem 2rem; min-width: 0; }
section > h2 { text-transform: capitalize; border-bottom: 2px solid #333; }
.op, .schema { border: 1px solid #ddd; border-radius: 6px; padding: 0.5rem 1rem; margin: 1rem 0; }
.op h3 { margin: 0.3rem 0; font-size: 16px; }
.summary { font-weight: 600; }
.method { display: inline-block; min-width: 4em; text-align: center; border-radius: 4px; color: #fff; font: bold 12px monospace; padding: 2px 4px; }
.m-get { background: #2f7d32; } .m-post { background: #1f5fae; } .m-patch { background: #a86400; } .m-delete { background: #b3261e; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border: 1px solid #e3e3e3; padding: 4px 6px; text-align: left; vertical-align: top; }
pre { background: #f6f7f9; padding: 0.5rem; overflow: auto; font-size: 12px; max-height: 30rem; margin: 0.3rem 0; }
code { font-size: 12px; }
.example { font-size: 12px; color: #555; }
a { color: #1f5fae; }
@media (max-width: 800px) { body { display: block; } nav { position: static; max-height: none; border-right: 0; } }
`;
