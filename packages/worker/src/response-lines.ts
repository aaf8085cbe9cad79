/*
 * Reading a streamed HTTP body as it arrives: lines for NDJSON (Ollama), and Server-Sent
 * Events built from those lines (OpenAI-compatible servers). Only what the model servers
 * send is handled: `data:` fields, comments and blank-line dispatch; `event:`/`id:`/`retry:`
 * are read past, as no model server gives them a meaning we need.
 */

/** Yields the body's lines without their `\n` / `\r\n`, the last one even without a newline. */
export async function* responseLines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const bytes of body) {
    buffered += decoder.decode(bytes, { stream: true });
    let newline = buffered.indexOf("\n");
    while (newline !== -1) {
      yield buffered.slice(0, newline).replace(/\r$/, "");
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf("\n");
    }
  }
  buffered += decoder.decode();
  if (buffered !== "") yield buffered.replace(/\r$/, "");
}

/** Yields the data of each Server-Sent Event (several `data:` lines joined by `\n`). */
export async function* sseData(lines: AsyncIterable<string>): AsyncGenerator<string> {
  let data: string[] = [];
  for await (const line of lines) {
    if (line === "") {
      if (data.length > 0) yield data.join("\n");
      data = [];
      continue;
    }
    if (line.startsWith(":")) continue; // a comment, e.g. a keep-alive
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    // One optional space after the colon belongs to the syntax, not the value.
    const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "data") data.push(value);
  }
  // A stream cut off after its last data line still delivers it.
  if (data.length > 0) yield data.join("\n");
}
