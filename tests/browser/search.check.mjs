// Search in a real browser: a word typed into the header's box on a nested page finds
// the right section first, with the word highlighted; the keyboard picks it and lands
// on that section with its heading in view; the search page runs the query in its
// address without the theme's other script, explains itself without JavaScript, and
// search also works from file://.
// Usage: node search.check.mjs SITE_DIR WORD PAGE ANCHOR
//   WORD: a word found in one heading; PAGE#ANCHOR: where that heading is.

import { pathToFileURL } from "node:url";
import path from "node:path";
import { assert, check, newPage, serveFolder, step, TIMEOUT } from "./lib.mjs";

const [siteDir, word, targetPage, anchor] = process.argv.slice(2);
const expectedEnd = `${targetPage}#${anchor}`;

/** Waits (bounded) until `probe()` returns a truthy value; returns it. */
async function eventually(probe, what) {
  const until = Date.now() + TIMEOUT;
  for (;;) {
    const value = await probe();
    if (value) return value;
    assert(Date.now() < until, `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function typeIntoHeaderBox(page) {
  const box = page.locator("#lb-search-input");
  await box.click();
  await page.keyboard.type(word, { delay: 20 });
  const first = page.locator("#lb-search-results .lb-search-result").first();
  await first.waitFor();
  return first;
}

await check("search", async (browser) => {
  const site = await serveFolder(siteDir);
  try {
    step("header box on a served page");
    const page = await newPage(browser);
    await page.goto(site.url + "getting-started/quickstart.html");

    // Typing shows results at once; the heading that holds the word comes first.
    const first = await typeIntoHeaderBox(page);
    const href = await first.getAttribute("href");
    assert(href.endsWith(expectedEnd), `the first result is ${expectedEnd}`, href);
    const marked = await first.locator("mark").first().textContent();
    assert(marked.toLowerCase() === word.toLowerCase(), "the word is highlighted", marked);

    // Arrow keys move through the results, Escape closes them, Enter follows one.
    step("keyboard through the results");
    const box = page.locator("#lb-search-input");
    await page.keyboard.press("ArrowDown");
    const active = await box.getAttribute("aria-activedescendant");
    const firstId = await first.getAttribute("id");
    assert(active === firstId, "ArrowDown selects the first result", active);
    await page.keyboard.press("Escape");
    assert(await page.locator("#lb-search-results").isHidden(), "Escape closes the results");
    await page.keyboard.press("ArrowDown");
    await first.waitFor();
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    await page.waitForURL((url) => url.href.endsWith(expectedEnd));
    step("landing on the section");
    const hash = await page.evaluate(() => location.hash);
    assert(hash === `#${anchor}`, "the address names the section", hash);
    await eventually(
      () => page.locator(`[id="${anchor}"]`).evaluate((heading) => {
        const box = heading.getBoundingClientRect();
        return box.top >= 0 && box.top < window.innerHeight;
      }),
      "the section's heading to be in view",
    );
    assert(page.problems.length === 0, "no script errors or foreign requests", page.problems);

    step("search page with the theme script blocked");
    // The search page runs the query in its address with the theme's script blocked.
    const alone = await newPage(browser);
    await alone.route("**/theme/loopbook.js", (route) => route.abort());
    await alone.goto(`${site.url}search/index.html?q=${encodeURIComponent(word)}`);
    const listed = alone.locator("#lb-search-page-results .lb-search-result").first();
    await listed.waitFor();
    const listedHref = await listed.getAttribute("href");
    assert(listedHref.endsWith(expectedEnd), "the search page finds it too", listedHref);
    const value = await alone.locator("#lb-search-page-input").inputValue();
    assert(value === word, "the search page shows its query", value);
    assert(alone.problems.length === 0, "search page problems", alone.problems);

    step("search page without JavaScript");
    // Without JavaScript the search page says what to do instead.
    const context = await browser.newContext({ javaScriptEnabled: false });
    const plain = await context.newPage();
    await plain.goto(`${site.url}search/index.html?q=${encodeURIComponent(word)}`);
    const text = await plain.locator("main").innerText();
    assert(/needs\s+JavaScript/.test(text), "the no-script message shows", text);
    await context.close();

    step("search from file://");
    // From disk: script elements load the index where fetch() would be refused.
    const disk = await newPage(browser);
    const start = pathToFileURL(path.resolve(siteDir, "getting-started/quickstart.html"));
    await disk.goto(start.href);
    step("typing into the header box from file://");
    const fromDisk = await typeIntoHeaderBox(disk);
    const diskHref = await fromDisk.getAttribute("href");
    assert(diskHref.startsWith("file://") && diskHref.endsWith(expectedEnd),
      "search works from file://", diskHref);
    const diskSearch = pathToFileURL(path.resolve(siteDir, "search/index.html"));
    diskSearch.search = `?q=${encodeURIComponent(word)}`;
    step("opening the search page from file://");
    await disk.goto(diskSearch.href);
    step("waiting for the search page's results from file://");
    const diskListed = disk.locator("#lb-search-page-results .lb-search-result").first();
    const diskListedHref = await diskListed.getAttribute("href");
    assert(diskListedHref.endsWith(expectedEnd), "the search page works from file://",
      diskListedHref);
    assert(disk.problems.length === 0, "file:// problems", disk.problems);
  } finally {
    await site.close();
  }
});
