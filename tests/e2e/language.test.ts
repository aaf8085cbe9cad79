import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { startTestServer, uniqueName, type TestServer } from "../helpers/server.js";
import { connectionStatus, launchBrowser, newPage, pageErrors, screenshot, signIn, textOf } from "./browser.js";

/** English and Chinese, remembered across reloads; phone widths; keyboard use. */
describe("languages, small screens and the keyboard", () => {
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    server = await startTestServer();
  });

  afterEach(async () => {
    for (const context of contexts.splice(0)) {
      expect(pageErrors(context)).toEqual([]);
      await context.close();
    }
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(options: { width?: number; height?: number; locale?: string } = {}): Promise<Page> {
    const { context, page } = await newPage(browser, server.url, options);
    contexts.push(context);
    return page;
  }

  const activeText = async (page: Page) => String(await page.evaluate("document.activeElement?.textContent ?? ''"));

  it("switches to Chinese, remembers it across a reload, and switches back", async () => {
    const { space } = await server.space({ name: uniqueName("Bilingual"), description: "English and 中文" });
    const page = await open();
    await page.goto("/");
    await page.getByRole("heading", { name: "Spaces", level: 1 }).waitFor();
    await page.getByLabel("Language").selectOption("zh");
    await page.getByRole("heading", { name: "空间", level: 1 }).waitFor();
    await page.getByRole("link", { name: "登录" }).waitFor();
    expect(await page.locator("html").getAttribute("lang")).toBe("zh-CN");

    await page.reload();
    await page.getByRole("heading", { name: "空间", level: 1 }).waitFor();
    await page.getByTestId("space-card").filter({ hasText: space.name }).getByText("未连接").waitFor();
    await screenshot(page, "gallery-zh");
    await page.getByRole("link", { name: space.name }).click();
    expect(await textOf(connectionStatus(page))).toBe("✗ 未连接");
    await page.getByText("没有已连接的工作节点。").waitFor();

    await page.getByLabel("语言").selectOption("en");
    expect(await textOf(connectionStatus(page))).toBe("✗ Not connected");
    await page.reload();
    expect(await textOf(connectionStatus(page))).toBe("✗ Not connected");
    expect(await page.locator("html").getAttribute("lang")).toBe("en");
  });

  it("starts in Chinese for a browser that prefers it", async () => {
    const page = await open({ locale: "zh-CN" });
    await page.goto("/");
    await page.getByRole("heading", { name: "空间", level: 1 }).waitFor();
    expect(await page.getByLabel("语言").inputValue()).toBe("zh");
  });

  it("fits a 375-pixel-wide phone screen without sideways scrolling", async () => {
    const { space } = await server.space({ name: uniqueName("Phone"), description: "A space looked at on a phone." });
    const user = await server.user();
    const page = await open({ width: 375, height: 812 });
    await signIn(page, user.username, "user-password");
    for (const path of ["/", `/spaces/${space.id}`, "/account"]) {
      await page.goto(path);
      await page.getByRole("heading", { level: 1 }).first().waitFor();
      const width = Number(await page.evaluate("document.documentElement.scrollWidth"));
      expect(width, `page ${path} is ${width}px wide`).toBeLessThanOrEqual(375);
    }
    await page.goto(`/spaces/${space.id}`);
    await connectionStatus(page).waitFor();
    await screenshot(page, "space-phone");
  });

  it("can be used with the keyboard alone, with a visible focus ring", async () => {
    const { space } = await server.space({ name: uniqueName("Keys"), queue_offline: true });
    const user = await server.user();
    const page = await open();
    await signIn(page, user.username, "user-password");
    await page.goto(`/spaces/${space.id}`);
    await connectionStatus(page).waitFor();

    // The first Tab reaches the skip link, which jumps to the page's content.
    await page.keyboard.press("Tab");
    expect(await activeText(page)).toBe("Skip to content");
    expect(await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")).toBe("solid");
    await page.keyboard.press("Enter");
    expect(await page.evaluate("document.activeElement?.id")).toBe("main");

    // Tab on to the prompt, type, and send with Ctrl+Enter.
    for (let i = 0; i < 10 && (await page.evaluate("document.activeElement?.name")) !== "prompt"; i++) await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement?.name")).toBe("prompt");
    expect(await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")).toBe("solid");
    await page.keyboard.type("typed without a mouse");
    await page.keyboard.press("Control+Enter");
    await page.getByTestId("request-panel").getByText("Position 1 in the queue").waitFor();

    // The cancel button is reachable and works from the keyboard too.
    const cancel = page.getByTestId("request-panel").getByRole("button", { name: "Cancel" });
    await cancel.focus();
    await page.keyboard.press("Enter");
    await page.getByTestId("request-panel").getByText("Cancelled", { exact: true }).waitFor();
  });
});
