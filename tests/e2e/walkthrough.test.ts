import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import type { SubmitResponse } from "@wsspaces/protocol";
import type { Proc } from "../helpers/processes.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { eventually } from "../helpers/wait.js";
import { connectionStatus, launchBrowser, newPage, pageErrors, screenshot, signIn, startMockWorker, textOf } from "./browser.js";

/**
 * The seed's manual test, in a real browser against a real server and a real mock worker:
 * register, sign in, open the space, see "Not connected", start a worker and see "Connected"
 * without reloading, send a prompt and watch it go from its queue position through progress
 * and streamed text to the result.
 */
describe("the seed's manual test in a browser", () => {
  let server: TestServer;
  let browser: Browser;
  const workers: Proc[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    server = await startTestServer();
  });

  afterAll(async () => {
    for (const worker of workers) await worker.kill();
    await browser?.close();
    await server?.close();
  });

  it("registers, signs in, sees the worker connect and a prompt answered live", { timeout: 120_000 }, async () => {
    // Each test server has a fresh database, so readable names (for the screenshots) are unique.
    const spaceName = "Story writer";
    const { space, token } = await server.space({ name: spaceName, description: "Short stories from a prompt, written by a mock model on a remote GPU box." });
    await server.space({ name: "Whisper", description: "Speech to text from an audio upload.", inputs: ["prompt", "audio"] });
    await server.space({ name: "Image captioner", description: "Describes a picture in one sentence.", queue_offline: true });
    const username = "carol";
    const password = "carol-password";
    const { context, page } = await newPage(browser, server.url);

    // Register (with a first attempt the page refuses, in words).
    await page.goto("/");
    await page.getByRole("link", { name: "Register" }).click();
    await page.getByLabel("Username").fill("x");
    await page.getByLabel("Password", { exact: true }).fill("short");
    await page.getByLabel("Repeat the password").fill("different");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByText("Use 3 to 32 characters.").waitFor();
    await page.getByText("Use 8 to 200 characters.").waitFor();
    await page.getByText("The passwords do not match.").waitFor();
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Password", { exact: true }).fill(password);
    await page.getByLabel("Repeat the password").fill(password);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();

    // The gallery lists the space, not connected.
    const card = page.getByTestId("space-card").filter({ hasText: spaceName });
    await card.getByText("Not connected").waitFor();
    await screenshot(page, "gallery");

    // Sign out, then sign in (wrong password first).
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("link", { name: "Sign in" }).waitFor();
    await page.goto("/signin");
    await page.getByRole("button", { name: "Sign in" }).click();
    expect(await page.getByText("Required.").count()).toBe(2);
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Password").fill("wrong-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("Wrong username or password.").waitFor();
    await signIn(page, username, password);

    // Open the space: not connected.
    await page.getByRole("link", { name: spaceName }).click();
    await page.getByRole("heading", { name: spaceName, level: 1 }).waitFor();
    expect(await textOf(connectionStatus(page))).toBe("✗ Not connected");
    await page.getByText("No worker is connected.").waitFor();
    // Typed before the worker connects: still there after, so the page did not reload.
    const prompt = page.getByLabel("Prompt");
    await prompt.fill("Write a haiku about websockets");
    await screenshot(page, "space-offline");

    workers.push(await startMockWorker(server.url, token, spaceName, { name: "gpu-box", minMs: 6000 }));
    await connectionStatus(page).getByText("✓ Connected (1 worker)").waitFor();
    expect(await prompt.inputValue()).toBe("Write a haiku about websockets");
    const presence = page.getByTestId("worker").filter({ hasText: "gpu-box" });
    await presence.getByText("idle").waitFor();

    // Another user's request keeps the worker busy, so ours waits in the queue first.
    const other = await server.user("dave");
    const blocker = await other.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests`, { prompt: "first in line" });
    expect(blocker.status).toBe(202);
    await presence.getByText("busy").waitFor();

    await page.getByRole("button", { name: "Send" }).click();
    const panel = page.getByTestId("request-panel");
    await panel.getByText("Position 1 in the queue").waitFor();
    // The queue shows our entry with our name and the other user's masked.
    const queue = page.getByTestId("queue");
    await queue.getByText(`${username} (you)`).waitFor();
    await queue.getByText(`${other.username.slice(0, 2)}***`).waitFor();
    await screenshot(page, "space-queued");

    // Then it runs: progress with the worker's message, and the answer streaming in.
    await panel.getByTestId("request-progress").waitFor({ timeout: 30_000 });
    await panel.getByTestId("progress-message").getByText(/step \d\/5/).waitFor();
    // The bar moves: its value grows while the worker works.
    const bar = panel.locator("progress");
    // The value property is reflected to the attribute.
    const barValue = async () => Number(await bar.getAttribute("value"));
    const firstValue = await barValue();
    await eventually(async () => expect(await barValue()).toBeGreaterThan(firstValue), { timeoutMs: 6000 });
    const partial = panel.getByTestId("partial-output");
    const firstSeen = await textOf(partial);
    expect(firstSeen.length).toBeGreaterThan(0);
    await eventually(async () => expect((await partial.textContent())?.length ?? 0).toBeGreaterThan(firstSeen.length), { timeoutMs: 6000 });
    expect(await panel.getAttribute("data-state")).toBe("running");
    // The space has a finished request to go by now, so there is an estimate.
    expect(await textOf(panel.getByTestId("request-eta"))).toMatch(/^Expected (in about \d+ s|any moment now)$/);
    await screenshot(page, "space-running");

    // The result, rendered as text with the full JSON folded away.
    const result = panel.getByTestId("result-text");
    await result.waitFor({ timeout: 30_000 });
    expect(await result.textContent()).toBe('Mock response to: "Write a haiku about websockets"');
    await panel.getByText("Completed").waitFor();
    expect(await partial.count()).toBe(0);
    await panel.getByText("Full result (JSON)").click();
    await panel.getByText('"mock-model-v1"').waitFor();
    expect(await textOf(panel.getByTestId("request-elapsed"))).toMatch(/^Elapsed: \d+(\.\d)? s$/);
    // The history lists it, completed; the queue empties and the worker is idle again.
    await page.getByTestId("history").getByText("Completed").waitFor();
    await queue.getByText("Nothing is waiting.").waitFor();
    await presence.getByText("idle").waitFor();
    await screenshot(page, "space-done");

    // Back in the gallery the space shows its worker; when the worker leaves, the card says so
    // without a reload.
    await page.getByRole("link", { name: "All spaces" }).click();
    await card.getByText("Connected", { exact: true }).waitFor();
    await card.getByText("1 worker", { exact: true }).waitFor();
    await screenshot(page, "gallery-live");
    await workers.pop()?.kill("SIGINT");
    await card.getByText("Not connected", { exact: true }).waitFor();
    await card.getByText("0 workers", { exact: true }).waitFor();
    expect(pageErrors(context)).toEqual([]);
    await context.close();
  });
});
