import { describe, expect, it } from "vitest";
import type { RequestView } from "@wsspaces/protocol";
import { uniqueName } from "../helpers/server.js";
import { connectionStatus, screenshot, startMockWorker, textOf } from "./browser.js";
import { browserSuite } from "./suite.js";

/** Submitting from the space page: errors in words, cancel, re-attaching, retry, privacy, keys. */
describe("requests in the browser", () => {
  const suite = browserSuite();
  const signedIn = (username?: string) => suite.signedIn(username);

  it("says in words why a request cannot be sent", async () => {
    const { space } = await suite.server.space({ name: uniqueName("Offline") });
    const { page } = await signedIn();
    await page.goto(`/spaces/${space.id}`);
    expect(await textOf(connectionStatus(page))).toBe("✗ Not connected");
    await page.getByRole("button", { name: "Send" }).click();
    await page.getByText("Type a prompt first.").waitFor();
    await page.getByLabel("Prompt").fill("is anyone there?");
    await page.getByRole("button", { name: "Send" }).click();
    await page
      .getByRole("alert")
      .getByText("No worker is connected to this space right now, and it does not keep requests while offline. Try again when it shows “Connected”.")
      .waitFor();
    expect(await page.getByTestId("request-panel").count()).toBe(0);
    await screenshot(page, "space-offline-error");
  });

  it("cancels a running request", async () => {
    const { space, token } = await suite.server.space({ name: uniqueName("Slow") });
    const worker = suite.keep(await startMockWorker(suite.server.url, token, space.name, { minMs: 60_000 }));
    const { page } = await signedIn();
    await page.goto(`/spaces/${space.id}`);
    await connectionStatus(page).getByText("✓ Connected (1 worker)").waitFor();
    await page.getByLabel("Prompt").fill("take your time");
    await page.getByRole("button", { name: "Send" }).click();
    const panel = page.getByTestId("request-panel");
    await panel.getByTestId("request-progress").waitFor();
    await panel.getByRole("button", { name: "Cancel" }).click();
    await panel.getByText("Cancelled", { exact: true }).waitFor();
    await panel.getByText("The request was cancelled.").waitFor();
    expect(await panel.getByRole("button", { name: "Cancel" }).count()).toBe(0);
    await worker.waitForLine(/cancelled/);
    await page.getByTestId("worker").getByText("idle").waitFor();
  });

  it("shows a failed request's error in words", async () => {
    const { space, token } = await suite.server.space({ name: uniqueName("Failing") });
    suite.keep(await startMockWorker(suite.server.url, token, space.name, { minMs: 0, failRate: 1 }));
    const { page } = await signedIn();
    await page.goto(`/spaces/${space.id}`);
    await page.getByLabel("Prompt").fill("this will fail");
    await page.getByRole("button", { name: "Send" }).click();
    const panel = page.getByTestId("request-panel");
    await panel.getByText("Failed", { exact: true }).waitFor();
    const error = panel.getByTestId("request-error");
    await error.getByText("The worker reported an error.").waitFor();
    await error.getByText("simulated failure").waitFor();
    expect(await panel.getByTestId("result-text").count()).toBe(0);
    await panel.getByRole("button", { name: "Send the same prompt again" }).waitFor();
  });

  it("re-attaches to a running request after a reload and in a second tab, and retries", { timeout: 90_000 }, async () => {
    const { space, token } = await suite.server.space({ name: uniqueName("Reattach") });
    suite.keep(await startMockWorker(suite.server.url, token, space.name, { minMs: 5000 }));
    const { context, page } = await signedIn();
    await page.goto(`/spaces/${space.id}`);
    await connectionStatus(page).getByText("✓ Connected (1 worker)").waitFor();
    await page.getByLabel("Prompt").fill("keep going");
    await page.getByRole("button", { name: "Send" }).click();
    const panel = page.getByTestId("request-panel");
    await panel.getByTestId("request-progress").waitFor();
    const requestId = await textOf(panel.locator("code").first());

    await page.reload();
    await panel.getByText(requestId).waitFor();
    await panel.getByTestId("request-progress").waitFor();
    // The prompt is remembered by this browser, so it is shown again.
    await panel.getByText("keep going").waitFor();

    const second = await context.newPage();
    await second.goto(`/spaces/${space.id}`);
    const secondPanel = second.getByTestId("request-panel");
    await secondPanel.getByText(requestId).waitFor();

    // Both tabs see the result.
    await panel.getByTestId("result-text").getByText('Mock response to: "keep going"').waitFor();
    await secondPanel.getByTestId("result-text").getByText('Mock response to: "keep going"').waitFor();

    // Retry sends the same prompt again as a new request.
    await panel.getByRole("button", { name: "Send the same prompt again" }).click();
    await panel.getByText(requestId).waitFor({ state: "detached" });
    await panel.getByTestId("result-text").getByText('Mock response to: "keep going"').waitFor();
    // Both the first and the retried request end up in the history.
    await page.getByTestId("history").getByText("Completed").nth(1).waitFor();
  });

  it("does not show one user's request to another", async () => {
    const { space } = await suite.server.space({ name: uniqueName("Private"), queue_offline: true });
    const alice = await signedIn(uniqueName("alice"));
    await alice.page.goto(`/spaces/${space.id}`);
    await alice.page.getByLabel("Prompt").fill("alice's secret prompt");
    await alice.page.getByRole("button", { name: "Send" }).click();
    const panel = alice.page.getByTestId("request-panel");
    const requestId = await textOf(panel.locator("code").first());
    await panel.getByText("Position 1 in the queue").waitFor();
    // Alice opens it on its own page: hers to see.
    await panel.getByRole("link", { name: "Open on its own page" }).click();
    await alice.page.getByTestId("request-panel").getByText(requestId).waitFor();

    const bob = await signedIn(uniqueName("bob"));
    await bob.page.goto(`/requests/${requestId}`);
    await bob.page.getByTestId("request-not-found").getByText("Request not found. It does not exist, or it is not yours.").waitFor();
    expect(await bob.page.getByText("alice's secret prompt").count()).toBe(0);
    // On the space page bob sees alice's entry in the queue, masked, and no request of his own.
    await bob.page.goto(`/spaces/${space.id}`);
    await bob.page.getByTestId("queue").getByText(`${alice.user.username.slice(0, 2)}***`).waitFor();
    expect(await bob.page.getByTestId("request-panel").count()).toBe(0);
    expect(await bob.page.getByText(alice.user.username).count()).toBe(0);
    // The API agrees.
    expect((await bob.user.get<RequestView>(`/api/v1/requests/${requestId}`)).status).toBe(404);
  });

  it("creates an API key (shown once) for the snippets and revokes it from the account page", async () => {
    const { space } = await suite.server.space({ name: uniqueName("Api") });
    const { user, page } = await signedIn();
    await page.goto(`/spaces/${space.id}`);
    await page.getByLabel("Prompt").fill("from a script");
    await page.getByText("Use this space from code (API)").click();
    const apiPanel = page.getByTestId("api-panel");
    // Without a key the snippet has a placeholder.
    await apiPanel.getByText("Authorization: Bearer YOUR_API_KEY").waitFor();
    await apiPanel.getByRole("button", { name: "Create a new key" }).click();
    await apiPanel.getByText("Copy it now: it will not be shown again.").waitFor();
    const key = await apiPanel.getByLabel("API key").inputValue();
    expect(key).toMatch(/^wsk_/);
    const curl = await textOf(apiPanel.locator("pre"));
    expect(curl).toContain(`${suite.server.url}/api/v1/spaces/${space.id}/requests?wait=30`);
    expect(curl).toContain(`Bearer ${key}`);
    expect(curl).toContain(`'{"prompt":"from a script"}'`);
    await apiPanel.getByRole("tab", { name: "Python" }).click();
    expect(await textOf(apiPanel.locator("pre"))).toContain('json={"prompt": "from a script"}');
    await apiPanel.getByRole("tab", { name: "Python" }).press("ArrowRight");
    expect(await apiPanel.getByRole("tab", { name: "TypeScript" }).getAttribute("aria-selected")).toBe("true");
    // The key works.
    expect((await suite.server.admin.withKey(key).get("/api/v1/me")).body).toMatchObject({ username: user.username });

    // The account page lists it by prefix only, and revokes it.
    await page.getByRole("link", { name: "My account" }).click();
    const keys = page.getByTestId("api-keys");
    await keys.getByText(`${key.slice(0, 10)}…`).waitFor();
    expect(await page.getByText(key).count()).toBe(0);
    const rows = await keys.getByRole("row").count();
    await keys.getByRole("row").filter({ hasText: `${key.slice(0, 10)}…` }).getByRole("button", { name: "Revoke" }).click();
    await keys.getByRole("row").filter({ hasText: `${key.slice(0, 10)}…` }).getByRole("button", { name: "Revoke" }).click();
    await keys.getByText(`${key.slice(0, 10)}…`).waitFor({ state: "detached" });
    expect(await keys.getByRole("row").count()).toBe(rows - 1);
    expect((await suite.server.admin.withKey(key).get("/api/v1/me")).status).toBe(401);

    // A new key from the account page is shown once, with a copy button.
    await page.getByLabel("Name of the new key").fill("laptop");
    await page.getByRole("button", { name: "Create key" }).click();
    const created = page.getByTestId("created-key");
    expect(await textOf(created.locator("pre"))).toMatch(/^wsk_/);
    await created.getByRole("button", { name: "Copy" }).waitFor();
    await keys.getByRole("cell", { name: "laptop" }).waitFor();
    await screenshot(page, "account");
  });
});
