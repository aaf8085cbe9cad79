import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from "playwright-core";
import { spawnCli, type Proc } from "../helpers/processes.js";

/** Debian's chromium (scripts/ensure-system-deps.sh installs it); never a downloaded browser. */
export const CHROMIUM = "/usr/bin/chromium";
export const SCREENSHOTS = fileURLToPath(new URL("./screenshots/", import.meta.url));
const WEB_DIST = fileURLToPath(new URL("../../packages/web/dist/index.html", import.meta.url));

/** How long a locator waits for what a test expects to see. */
export const UI_TIMEOUT_MS = 15_000;

export function assertWebBuilt(): void {
  if (!existsSync(WEB_DIST)) throw new Error("packages/web/dist is missing: run `npm run build` before the browser tests");
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ensure-system-deps.sh (apt-get install chromium)`);
}

export function launchBrowser(): Promise<Browser> {
  assertWebBuilt();
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"],
  });
}

const errorsByContext = new WeakMap<BrowserContext, string[]>();

/**
 * What went wrong inside the pages of a context: uncaught exceptions and Content-Security-Policy
 * refusals (HTTP error answers the app handles are not counted). Tests expect none.
 */
export function pageErrors(context: BrowserContext): string[] {
  return errorsByContext.get(context) ?? [];
}

/** A fresh browser profile (its own cookies and localStorage) on the site. */
export async function newPage(
  browser: Browser,
  baseURL: string,
  options: { width?: number; height?: number; locale?: string } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    baseURL,
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    locale: options.locale ?? "en-US",
    reducedMotion: "reduce",
  });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  const errors: string[] = [];
  errorsByContext.set(context, errors);
  context.on("weberror", (error) => errors.push(`uncaught: ${error.error().message}`));
  context.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy|Refused to/i.test(message.text())) errors.push(`console: ${message.text()}`);
  });
  const page = await context.newPage();
  return { context, page };
}

/** Saves a full-page screenshot as tests/e2e/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
}

/** Waits until the locator shows, then returns its text. */
export async function textOf(locator: Locator): Promise<string> {
  await locator.waitFor({ state: "visible" });
  return (await locator.textContent()) ?? "";
}

export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto("/signin");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

/** The connection-status pill on a space page. */
export function connectionStatus(page: Page): Locator {
  return page.getByTestId("connection-status");
}

/** `wsspaces worker --mock` connected to the site with a token; resolves once it serves. */
export async function startMockWorker(
  url: string,
  token: string,
  space: string,
  options: { name?: string; minMs?: number; maxMs?: number; failRate?: number } = {},
): Promise<Proc> {
  const minMs = options.minMs ?? 1000;
  const worker = spawnCli([
    "worker",
    "--server",
    url,
    "--token",
    token,
    "--space",
    space,
    "--mock",
    "--min-ms",
    String(minMs),
    "--max-ms",
    String(options.maxMs ?? minMs),
    "--fail-rate",
    String(options.failRate ?? 0),
    "--name",
    options.name ?? "e2e-mock",
  ]);
  await worker.waitForLine(/connected to .* as wrk_/);
  return worker;
}
