import { describe, expect, it } from "vitest";
import { RawWorker } from "../helpers/raw-worker.js";
import { connectionStatus } from "./browser.js";
import { browserSuite } from "./suite.js";

/** What a page would run if markup got through: each payload sets a different marker. */
const payload = (marker: string) => `<img src=x onerror="window.__pwned='${marker}'"><script>window.__pwned='${marker}-script'</script>`;

/**
 * Script in a space's name and description, a prompt, streamed output, a result and output file
 * names: all shown as text. Nothing runs, no element is made from them, the CSP never has to step in.
 */
describe("markup from users and workers stays inert in the browser", () => {
  // The suite checks each page for CSP refusals too: the markup must never reach the DOM to be refused.
  const suite = browserSuite();

  it("shows names, prompts, streamed text, results and file names as text", { timeout: 60_000 }, async () => {
    const name = `<img src=x onerror=window.__pwned=1>${Date.now()}`;
    const { space, token } = await suite.server.space({ name, description: payload("description"), inputs: ["prompt"] });
    const worker = await RawWorker.connect(suite.server.url, { token });
    suite.onCleanup(() => worker.close());
    expect((await worker.register({ space_name: space.name })).success).toBe(true);

    const { page } = await suite.signedIn();
    const dialogs: string[] = [];
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });

    // The gallery card and the space page show the name and description literally.
    await page.goto("/");
    await page.getByText(name, { exact: true }).first().waitFor();
    await page.getByRole("link", { name }).first().click();
    await connectionStatus(page).getByText("✓ Connected (1 worker)").waitFor();
    await page.getByText(payload("description")).waitFor();

    await page.getByLabel("Prompt").fill(payload("prompt"));
    await page.getByRole("button", { name: "Send" }).click();
    const request = await worker.nextRequest();
    expect(request.payload.prompt).toBe(payload("prompt"));
    await worker.emit("stream", { request_id: request.request_id, chunk: payload("stream") });
    const panel = page.getByTestId("request-panel");
    await panel.getByTestId("partial-output").getByText(payload("stream")).waitFor();
    await worker.emit("inference_result", {
      request_id: request.request_id,
      status: "completed",
      result: { text_output: payload("result"), html: "<iframe src=\"javascript:window.__pwned='iframe'\"></iframe>", link: "javascript:window.__pwned='link'" },
      files: [
        { name: `${payload("file")}.html`, data: Buffer.from("<script>window.__pwned='file'</script>") },
        { name: "picture.svg", data: Buffer.from("<svg xmlns='http://www.w3.org/2000/svg' onload=\"window.__pwned='svg'\"/>") },
      ],
    });
    await panel.getByTestId("result-text").getByText(payload("result")).waitFor();
    await panel.getByText(payload("prompt")).waitFor();
    // Output files of a kind that could run are download links; the markup in a name was cut away
    // when it was stored (no directories, no <>:"|?*).
    const media = panel.getByTestId("result-media");
    await media.getByRole("link", { name: "Download picture.svg" }).waitFor();
    await media.getByRole("link", { name: "Download script.html" }).waitFor();
    await panel.getByText("Full result (JSON)").click();
    await panel.getByText(/javascript:window\.__pwned='link'/).waitFor();

    expect(await page.evaluate("window.__pwned")).toBeUndefined();
    expect(dialogs).toEqual([]);
    // No element was built from any of it.
    for (const selector of ['img[src="x"]', "iframe", "script:not([src])", "svg[onload]", 'a[href^="javascript:"]']) {
      expect(await page.locator(selector).count(), selector).toBe(0);
    }

    // The history and the request's own page render the same text inertly.
    await page.getByRole("link", { name: "Open on its own page" }).click();
    await page.getByTestId("result-text").getByText(payload("result")).waitFor();
    expect(await page.evaluate("window.__pwned")).toBeUndefined();
    expect(await page.locator('img[src="x"]').count()).toBe(0);
  });
});
