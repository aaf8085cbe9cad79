import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { uniqueName } from "../helpers/server.js";
import { connectionStatus, screenshot, signIn, textOf } from "./browser.js";
import { browserSuite } from "./suite.js";

/** English and Chinese, remembered across reloads; phone widths; keyboard use. */
describe("languages, small screens and the keyboard", () => {
  const suite = browserSuite();
  const open = (options: { width?: number; height?: number; locale?: string } = {}) => suite.page(options);

  const activeText = async (page: Page) => String(await page.evaluate("document.activeElement?.textContent ?? ''"));

  it("switches to Chinese, remembers it across a reload, and switches back", async () => {
    const { space } = await suite.server.space({ name: uniqueName("Bilingual"), description: "English and 中文" });
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
    const { space } = await suite.server.space({ name: uniqueName("Phone"), description: "A space looked at on a phone." });
    const user = await suite.server.user();
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
    const { space } = await suite.server.space({ name: uniqueName("Keys"), queue_offline: true });
    const user = await suite.server.user();
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

  it("keeps text contrast at WCAG AA (4.5:1, 3:1 for large text) on the main pages", { timeout: 60_000 }, async () => {
    const { space } = await suite.server.space({ name: uniqueName("Contrast"), description: "Colours checked." });
    const adminName = uniqueName("contrastadmin");
    await suite.server.app.auth.createUser(adminName, "admin-password", "admin");
    const page = await open();
    await signIn(page, adminName, "admin-password");
    const failures: string[] = [];
    for (const path of ["/", `/spaces/${space.id}`, "/account", "/admin", "/admin/workers", "/signin"]) {
      await page.goto(path);
      await page.getByRole("heading", { level: 1 }).first().waitFor();
      const found = await page.evaluate<{ checked: number; failures: string[] }>(CONTRAST_CHECK);
      // Not vacuous: every page has a fair amount of text to check.
      expect(found.checked, path).toBeGreaterThan(5);
      failures.push(...found.failures.map((f) => `${path}: ${f}`));
    }
    expect(failures).toEqual([]);
  });
});

/**
 * Runs in the page: every visible element with its own text, its colour against the first
 * opaque background behind it (WCAG 2 relative luminance). Semi-transparent colours are
 * blended over that background.
 */
const CONTRAST_CHECK = `(() => {
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null; const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 }; };
  const lum = ({ r, g, b }) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const background = (el) => { for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor); if (c && c.a >= 0.99) return c; } return { r: 255, g: 255, b: 255, a: 1 }; };
  const out = [];
  let checked = 0;
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim() !== "");
    if (!own) continue;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (style.visibility === "hidden" || style.display === "none" || box.width === 0 || box.height === 0 || Number(style.opacity) === 0) continue;
    if (el.closest("[aria-hidden=true], .visually-hidden, .sr-only") || el.matches(":disabled, [aria-disabled=true]")) continue;
    checked++;
    const bg = background(el);
    let fg = parse(style.color);
    if (!fg) continue;
    fg = { r: fg.r * fg.a + bg.r * (1 - fg.a), g: fg.g * fg.a + bg.g * (1 - fg.a), b: fg.b * fg.a + bg.b * (1 - fg.a) };
    const [hi, lo] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) out.push(el.tagName.toLowerCase() + " '" + el.textContent.trim().slice(0, 30) + "' " + ratio.toFixed(2) + ":1");
  }
  return { checked, failures: out };
})()`;
