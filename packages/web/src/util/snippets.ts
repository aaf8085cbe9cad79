import { shellQuote } from "./shell";

export interface SnippetInput {
  origin: string;
  spaceId: string;
  /** The key to show, or null for a placeholder. */
  apiKey: string | null;
  prompt: string;
}

const KEY_PLACEHOLDER = "YOUR_API_KEY";

/** curl: submit and wait up to 30 s for the result. */
export function curlSnippet({ origin, spaceId, apiKey, prompt }: SnippetInput): string {
  const url = `${origin}/api/v1/spaces/${spaceId}/requests?wait=30`;
  return [
    `curl -s -X POST ${shellQuote(url)} \\`,
    `  -H ${shellQuote(`Authorization: Bearer ${apiKey ?? KEY_PLACEHOLDER}`)} \\`,
    `  -H 'content-type: application/json' \\`,
    `  -d ${shellQuote(JSON.stringify({ prompt }))}`,
  ].join("\n");
}

/** Python with `requests`: submit, then wait until the request ends. */
export function pythonSnippet({ origin, spaceId, apiKey, prompt }: SnippetInput): string {
  return `import requests

SITE = ${JSON.stringify(origin)}
HEADERS = {"Authorization": "Bearer ${apiKey ?? KEY_PLACEHOLDER}"}

r = requests.post(f"{SITE}/api/v1/spaces/${spaceId}/requests",
                  json={"prompt": ${JSON.stringify(prompt)}}, headers=HEADERS, timeout=30)
r.raise_for_status()  # 503 space_offline, 429 queue_full / rate_limited: see r.json()["error"]
request_id = r.json()["request_id"]

while True:
    view = requests.get(f"{SITE}/api/v1/requests/{request_id}",
                        params={"wait": 30}, headers=HEADERS, timeout=40).json()
    if view["state"] in ("completed", "failed", "cancelled", "timed_out"):
        break
print(view["state"], view["result"] if view["state"] == "completed" else view["error"])
`;
}

/** TypeScript (Node ≥ 18 or a browser): fetch, then wait until the request ends. */
export function typescriptSnippet({ origin, spaceId, apiKey, prompt }: SnippetInput): string {
  return `const SITE = ${JSON.stringify(origin)};
const headers = {
  authorization: "Bearer ${apiKey ?? KEY_PLACEHOLDER}",
  "content-type": "application/json",
};

const submitted = await fetch(\`\${SITE}/api/v1/spaces/${spaceId}/requests\`, {
  method: "POST",
  headers,
  body: JSON.stringify({ prompt: ${JSON.stringify(prompt)} }),
});
if (!submitted.ok) throw new Error((await submitted.json()).error.message);
const { request_id } = await submitted.json();

let view;
do {
  view = await (await fetch(\`\${SITE}/api/v1/requests/\${request_id}?wait=30\`, { headers })).json();
} while (!["completed", "failed", "cancelled", "timed_out"].includes(view.state));
console.log(view.state, view.result ?? view.error);
`;
}
