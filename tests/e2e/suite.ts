import { afterAll, afterEach, beforeAll, expect } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { Proc } from "../helpers/processes.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { launchBrowser, newPage, pageErrors, signIn } from "./browser.js";

export interface BrowserSuite {
  readonly server: TestServer;
  readonly browser: Browser;
  /** A fresh browser profile on the site; checked for page errors and closed after the test. */
  page(options?: Parameters<typeof newPage>[2]): Promise<Page>;
  /** A new user, signed in on a fresh page. */
  signedIn(username?: string): Promise<{ user: Awaited<ReturnType<TestServer["user"]>>; page: Page; context: BrowserContext }>;
  /** A worker process stopped after the test. */
  keep(worker: Proc): Proc;
  /** Something to undo after the test (a raw socket, …). */
  onCleanup(cleanup: () => unknown): void;
}

/**
 * The frame of a browser test file: Chromium and a real server for the file, and after each
 * test its workers stopped, its pages checked for uncaught errors and CSP refusals, and closed.
 */
export function browserSuite(): BrowserSuite {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  const cleanups: (() => unknown)[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    server = await startTestServer();
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    for (const context of contexts.splice(0)) {
      expect(pageErrors(context)).toEqual([]);
      await context.close();
    }
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not started yet (use it inside a test)`);
    return value;
  };

  const suite: BrowserSuite = {
    get server() {
      return ready(server, "the server");
    },
    get browser() {
      return ready(browser, "the browser");
    },
    async page(options = {}) {
      const { context, page } = await newPage(suite.browser, suite.server.url, options);
      contexts.push(context);
      return page;
    },
    async signedIn(username) {
      const user = await suite.server.user(username);
      const { context, page } = await newPage(suite.browser, suite.server.url);
      contexts.push(context);
      await signIn(page, user.username, "user-password");
      return { user, page, context };
    },
    keep(worker) {
      cleanups.push(() => worker.kill());
      return worker;
    },
    onCleanup(cleanup) {
      cleanups.push(cleanup);
    },
  };
  return suite;
}
