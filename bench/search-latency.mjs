// Time to first search result, and what a reader downloads for it, in headless
// Chromium. Run by bench/search.py; prints one JSON object.
// Usage: node bench/search-latency.mjs SITE_DIR PAGE QUERY...
//
// Each query runs in a fresh browser context (nothing cached): the page is opened and
// settled, then the query is put into the header's search box as one input event, and
// the clock runs from that event until the first result is in the list. Bytes count
// the response bodies of every file under search/ that the query made the page load.

import { launch, serveFolder } from "../tests/browser/lib.mjs";

const [siteDir, startPage, ...queries] = process.argv.slice(2);

const browser = await launch();
const site = await serveFolder(siteDir);
const results = [];
try {
  for (const query of queries) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(site.url + startPage, { waitUntil: "load" });
    const files = [];
    page.on("requestfinished", async (request) => {
      const url = new URL(request.url());
      if (!url.pathname.includes("/search/")) return;
      const sizes = await request.sizes();
      files.push({ path: url.pathname, bytes: sizes.responseBodySize });
    });
    const millis = await page.evaluate((text) => new Promise((resolve, reject) => {
      const input = document.getElementById("lb-search-input");
      const list = document.getElementById("lb-search-results");
      const started = performance.now();
      const observer = new MutationObserver(() => {
        if (list.querySelector(".lb-search-result")) {
          observer.disconnect();
          resolve(performance.now() - started);
        } else if (list.querySelector(".lb-search-note")) {
          observer.disconnect();
          reject(new Error(`no result for "${text}": ${list.textContent}`));
        }
      });
      observer.observe(list, { childList: true, subtree: true });
      input.focus();
      input.value = text;
      input.dispatchEvent(new Event("input", { bubbles: true }));
    }), query);
    // Let the last responses be counted.
    await page.waitForTimeout(200);
    const shown = await page.locator("#lb-search-results .lb-search-result").count();
    results.push({
      query,
      millis: Math.round(millis * 10) / 10,
      files: files.length,
      bytes: files.reduce((sum, file) => sum + file.bytes, 0),
      shown,
    });
    await context.close();
  }
} finally {
  await site.close();
  await browser.close();
}
console.log(JSON.stringify(results));
