import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { SubmitResponse } from "@wsspaces/protocol";
import type { Proc } from "../helpers/processes.js";
import { RawWorker } from "../helpers/raw-worker.js";
import { startTestServer, uniqueName, type TestServer } from "../helpers/server.js";
import { connectionStatus, launchBrowser, newPage, pageErrors, screenshot, signIn, startMockWorker, textOf } from "./browser.js";

/** The admin pages: spaces, worker tokens (a worker connects with one made here), workers, requests, users. */
describe("admin pages", () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let adminName: string;
  const workers: Proc[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    server = await startTestServer();
    adminName = "admin";
    await server.app.auth.createUser(adminName, "admin-password", "admin");
    ({ context, page } = await newPage(browser, server.url));
    await signIn(page, adminName, "admin-password");
  });

  afterEach(() => {
    expect(pageErrors(context)).toEqual([]);
  });

  afterAll(async () => {
    for (const worker of workers) await worker.kill();
    await browser?.close();
    await server?.close();
  });

  it("creates a space and a worker token; a worker connects with the command shown", { timeout: 90_000 }, async () => {
    const name = "Whisper";
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" }).click();
    await page.getByRole("link", { name: "New space" }).click();
    // A bad value is refused in words before anything is sent.
    await page.getByLabel("Timeout (seconds)").fill("0");
    await page.getByRole("button", { name: "Create space" }).click();
    await page.getByText("Required.").waitFor();
    await page.getByText("Enter a whole number from 1 to 86400.").waitFor();

    await page.getByLabel("Name", { exact: true }).fill(name);
    await page.getByLabel("Description").fill("Speech to text, served by a GPU box.");
    await page.getByLabel("Audio upload").check();
    // File limits appear with a file input.
    await page.getByLabel("Largest file (MB)").fill("50");
    await page.getByLabel("Running requests per user").fill("2");
    await page.getByLabel("Timeout (seconds)").fill("60");
    await page.getByLabel("Open worker registration (no token needed)").check();
    await page.getByText("Use this only for local development.").waitFor();
    await page.getByLabel("Open worker registration (no token needed)").uncheck();
    await screenshot(page, "admin-new-space");
    await page.getByRole("button", { name: "Create space" }).click();

    // The edit page of the new space, not connected; create a token there.
    await page.getByRole("heading", { name: `Edit “${name}”` }).waitFor();
    expect(await textOf(connectionStatus(page))).toBe("✗ Not connected");
    const created = (await server.admin.get<{ spaces: { name: string; inputs: string[]; timeout_seconds: number }[] }>("/api/v1/spaces")).body.spaces.find(
      (s) => s.name === name,
    );
    expect(created).toMatchObject({ inputs: ["prompt", "audio"], timeout_seconds: 60, max_file_mb: 50, max_upload_mb: 200, user_in_flight_limit: 2, pause: "off" });

    await page.getByLabel("Name of the new token").fill("gpu box");
    await page.getByRole("button", { name: "Create token" }).click();
    const shown = page.getByTestId("created-token");
    const token = (await textOf(shown.locator("pre").first())).trim();
    expect(token).toMatch(/^wss_/);
    const command = (await textOf(shown.locator("pre").nth(1))).trim();
    expect(command).toBe(`npx wsspaces worker --server ${server.url} --token ${token} --space ${name} --mock`);
    await page.getByRole("cell", { name: "gpu box" }).waitFor();
    await screenshot(page, "admin-space-token");

    // A worker started with that token connects; the page sees it at once.
    workers.push(await startMockWorker(server.url, token, name, { name: "whisper-gpu" }));
    await connectionStatus(page).getByText("✓ Connected (1 worker)").waitFor();

    // The workers tab lists it with its space.
    await page.getByRole("link", { name: "Workers" }).click();
    const row = page.getByTestId("admin-workers").getByRole("row").filter({ hasText: "whisper-gpu" });
    await row.getByRole("link", { name }).waitFor();
    await row.getByText("active").waitFor();
    await screenshot(page, "admin-workers");

    // The space page shows the audio picker with the space's limits, and the connect command for admins.
    await page.goto("/admin/spaces");
    await page.getByTestId("admin-spaces").getByRole("link", { name, exact: true }).click();
    expect(await page.getByLabel("Audio file").isEnabled()).toBe(true);
    await page.getByText("Up to 50 MB per file, 200 MB in all.").waitFor();
    await page.getByTestId("connect-worker").getByText(`--space ${name} --mock`).waitFor();

    // Revoking the token disconnects the worker.
    await page.goto("/admin/spaces");
    await page.getByRole("link", { name: `Edit ${name}` }).click();
    await page.getByRole("button", { name: "Revoke" }).click();
    await page.getByText("Revoke “gpu box”? Workers using it are disconnected at once.").waitFor();
    await page.getByRole("button", { name: "Revoke" }).click();
    await page.getByRole("cell", { name: /^revoked / }).waitFor();
    await connectionStatus(page).getByText("✗ Not connected").waitFor();
    expect(await workers.pop()?.exited).toBe(1);

    // Delete the space.
    await page.getByRole("button", { name: "Delete space" }).click();
    await page.getByRole("button", { name: "Delete space" }).click();
    await page.getByRole("heading", { name: "Spaces", level: 2 }).waitFor();
    await page.getByText("No spaces yet. Create the first one.").waitFor();
  });

  it("charts the last hour on the overview page", async () => {
    const { space, token } = await server.space({ name: uniqueName("Charted") });
    const raw = await RawWorker.connect(server.url, { token });
    try {
      expect((await raw.register({ space_name: space.name })).success).toBe(true);
      const user = await server.user(uniqueName("carol"));
      for (let i = 0; i < 4; i++) {
        expect((await user.post(`/api/v1/spaces/${space.id}/requests`, { prompt: `chart ${i}` })).status).toBe(202);
        const request = await raw.nextRequest();
        if (i < 3) await raw.complete(request.request_id, { i });
        else await raw.emit("inference_result", { request_id: request.request_id, status: "failed", error: "boom" });
      }
      await page.goto("/admin/overview");
      const overview = page.getByTestId("admin-overview");
      // Other tests of this file may have run requests too: the chart counts at least ours.
      const chart = overview.getByRole("img");
      await chart.waitFor();
      expect(await chart.getAttribute("aria-label")).toMatch(/^In the last 60 minutes: \d+ submitted, \d+ completed, \d+ failed/);
      const row = overview.getByTestId("overview-spaces").getByRole("row").filter({ hasText: space.name });
      await row.waitFor();
      expect((await row.getByRole("cell").allTextContents()).slice(0, 4)).toEqual(["4", "3", "1", "0"]);
      expect(await textOf(overview.getByTestId("overview-workers").locator("dd"))).toBe("1");
      // The bars are drawn: at least the completed and failed segments.
      expect(await chart.locator("rect").count()).toBeGreaterThanOrEqual(2);
      await screenshot(page, "admin-overview");
      // Another period re-reads the figures.
      await overview.getByLabel("Period").selectOption("15");
      await overview.getByRole("img", { name: /^In the last 15 minutes/ }).waitFor();
    } finally {
      raw.close();
    }
  });

  it("lists requests with filters and details, and manages users", async () => {
    const { space } = await server.space({ name: uniqueName("Queue"), queue_offline: true });
    const alice = await server.user(uniqueName("alice"));
    const bob = await server.user(uniqueName("bob"));
    const mine = await alice.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests`, { prompt: "from alice" });
    expect(mine.status).toBe(202);
    expect((await bob.post(`/api/v1/spaces/${space.id}/requests`, { prompt: "from bob" })).status).toBe(202);

    await page.goto("/admin/requests");
    const table = page.getByTestId("admin-requests");
    await table.getByRole("cell", { name: alice.username }).waitFor();
    await table.getByRole("cell", { name: bob.username }).waitFor();
    await page.getByLabel("Username").fill(alice.username);
    await page.getByLabel("State").selectOption("queued");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/user=/);
    await table.getByRole("cell", { name: bob.username }).waitFor({ state: "detached" });
    expect(await table.getByRole("row").count()).toBe(2);
    await table.getByRole("button", { name: "Details" }).click();
    const detail = page.getByTestId("admin-request-detail");
    await detail.getByText(mine.body.request_id, { exact: true }).waitFor();
    await detail.getByText("Queued", { exact: true }).waitFor();
    await screenshot(page, "admin-requests");

    await page.getByRole("link", { name: "Users" }).click();
    const bobRow = page.getByTestId("admin-users").locator(`tr[data-username="${bob.username}"]`);
    await bobRow.getByRole("button", { name: "Make admin" }).click();
    await bobRow.getByRole("cell", { name: "admin", exact: true }).waitFor();
    await bobRow.getByRole("button", { name: "Disable" }).click();
    await bobRow.getByText("disabled").waitFor();
    // Disabled at once: bob's API key stops working.
    expect((await bob.get("/api/v1/me")).status).toBe(401);
    // The admin cannot lock themselves out.
    const selfRow = page.getByTestId("admin-users").locator(`tr[data-username="${adminName}"]`);
    expect(await selfRow.getByRole("button", { name: "Disable" }).isDisabled()).toBe(true);
    await screenshot(page, "admin-users");
  });
});
