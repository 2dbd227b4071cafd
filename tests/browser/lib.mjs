// Shared pieces of the browser checks: start Debian's Chromium headless, serve a
// folder on 127.0.0.1, and fail loudly with a bounded wait. Each check is one
// `*.check.mjs` file run by tests/browser.rs as `node FILE ARGS...`; it exits 0 when
// everything it asserts holds, 1 with a message otherwise.

import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";

/** Chromium as Debian packages it; LOOPBOOK_CHROMIUM points elsewhere. */
export const CHROMIUM = process.env.LOOPBOOK_CHROMIUM || "/usr/bin/chromium";

/** Every wait in a check is bounded by this (milliseconds). */
export const TIMEOUT = 15000;

/**
 * Launches headless Chromium with the flags this machine needs (no sandbox as root,
 * no background networking: the network is closed and retries would flood it).
 * Playwright gives every launch a new, empty profile folder of its own.
 */
export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: TIMEOUT,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** A page in a fresh context whose waits time out after TIMEOUT. */
export async function newPage(browser, options = {}) {
  const context = await browser.newContext(options);
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    // A failed load is reported below with its URL, which the console line lacks.
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
      problems.push(`console error: ${message.text()}`);
    }
  });
  page.on("response", (response) => {
    if (response.status() >= 400 && !page.expectedMissing?.(response.url())) {
      problems.push(`HTTP ${response.status()} for ${response.url()}`);
    }
  });
  // Any request off 127.0.0.1 (or the disk) breaks the promise that the site calls no
  // other host.
  page.on("request", (request) => {
    const url = new URL(request.url());
    const local = ["data:", "file:"].includes(url.protocol);
    if (!["127.0.0.1", "localhost"].includes(url.hostname) && !local) {
      problems.push(`request to another host: ${request.url()}`);
    }
  });
  page.problems = problems;
  return page;
}

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".txt": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".xml": "application/xml",
};

/**
 * Serves `root` read-only on 127.0.0.1 at a free port, as a static host would
 * (folders answer with their index.html). Returns { url, close }.
 */
export async function serveFolder(root) {
  const base = fs.realpathSync(root);
  const server = http.createServer((request, response) => {
    let relative = decodeURIComponent(new URL(request.url, "http://x").pathname);
    let file = path.join(base, relative);
    if (file !== base && !file.startsWith(base + path.sep)) {
      response.writeHead(404).end();
      return;
    }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
      file = path.join(file, "index.html");
    }
    if (!fs.existsSync(file)) {
      const notFound = path.join(base, "404.html");
      response.writeHead(404, { "content-type": TYPES[".html"] });
      response.end(fs.existsSync(notFound) ? fs.readFileSync(notFound) : "not found");
      return;
    }
    const type = TYPES[path.extname(file)] || "application/octet-stream";
    response.writeHead(200, { "content-type": type });
    response.end(fs.readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    // close() alone waits for every open socket, and Chromium opens sockets ahead of
    // requests it may never send: Node keeps those until its 60 s headers timeout.
    close: () => new Promise((resolve) => {
      step("closing the folder server");
      server.close(resolve);
      server.closeAllConnections();
    }),
  };
}

/**
 * What the page's clipboard holds. Chromium answers a clipboard read only for the
 * focused page, and otherwise never: the page is brought to the front first and the
 * read is bounded.
 */
export async function clipboardText(page) {
  await page.bringToFront();
  return page.evaluate((limit) => Promise.race([
    navigator.clipboard.readText(),
    new Promise((_, reject) => setTimeout(() => reject(new Error("clipboard read hung")), limit)),
  ]), TIMEOUT);
}

/** Throws with `message` (and what was seen) unless `condition` holds. */
export function assert(condition, message, seen) {
  if (!condition) {
    const detail = seen === undefined ? "" : `\n  seen: ${JSON.stringify(seen)}`;
    throw new Error(`${message}${detail}`);
  }
}

const started = Date.now();
const steps = [];

/** Names what a check is doing now, so a check that fails or runs out of time says
 * where, and how long each step before it took. */
export function step(name) {
  steps.push({ name, at: Date.now() - started });
}

function timeline() {
  return steps.map((entry, index) => {
    const end = index + 1 < steps.length ? steps[index + 1].at : Date.now() - started;
    return `  ${String(entry.at).padStart(6)} ms  ${entry.name} (${end - entry.at} ms)`;
  }).join("\n");
}

/**
 * Runs `body(browser)` and exits with 0, or 1 and the failure. The whole check is
 * bounded, so a hung page can never stall the test suite.
 */
export async function check(name, body, limit = 90000) {
  let browser;
  const timer = setTimeout(() => {
    const now = steps.length ? steps[steps.length - 1].name : "starting";
    console.error(`${name}: gave up after ${limit} ms, while: ${now}\n${timeline()}`);
    process.exit(1);
  }, limit);
  try {
    step("launching Chromium");
    browser = await launch();
    step("running the check");
    await body(browser);
    console.log(`${name}: ok`);
    process.exitCode = 0;
  } catch (error) {
    console.error(`${name}: ${error.stack || error}\nsteps:\n${timeline()}`);
    process.exitCode = 1;
  } finally {
    step("closing Chromium");
    if (browser) await browser.close();
    clearTimeout(timer);
  }
}
