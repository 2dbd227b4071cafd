// A payload written to break out of its script element, run in Chromium: no injected
// code runs, on the docs page or the live sample, and the stub receives the hostile
// text exactly as the definition wrote it.
// Usage: node hostile.check.mjs SITE_DIR PAGE SAMPLE EXPECTED_JSON
//   EXPECTED_JSON: the payload's `note` field, JSON-encoded.

import { assert, check, newPage, serveFolder } from "./lib.mjs";

const [siteDir, pagePath, samplePath, expectedJson] = process.argv.slice(2);
const expected = JSON.parse(expectedJson);

await check("hostile", async (browser) => {
  const site = await serveFolder(siteDir);
  try {
    for (const target of [pagePath, samplePath]) {
      const page = await newPage(browser);
      page.on("dialog", (dialog) => {
        page.problems.push(`a dialog opened: ${dialog.message()}`);
        dialog.dismiss();
      });
      await page.goto(site.url + target);
      await page.waitForLoadState("load");
      const pwned = await page.evaluate(() => window.pwned);
      assert(pwned === undefined, `no injected script ran on ${target}`, pwned);
      const injected = await page.locator("article script:not([src]):not([type])").count();
      const expectedScripts = target === samplePath ? 1 : 0;
      assert(injected === expectedScripts, `no extra script elements on ${target}`, injected);
      assert(page.problems.length === 0, `no script errors on ${target}`, page.problems);
      await page.context().close();
    }

    const page = await newPage(browser);
    await page.goto(site.url + samplePath);
    await page.locator('.lb-stub-call[data-method="greet"]').waitFor();
    const note = await page.evaluate(() => window.loopbookStub.calls[1].payload.note);
    assert(note === expected, "the stub received the hostile text unchanged", note);
    const shown = await page.locator('tr[data-path="note"] td:nth-child(2)').textContent();
    assert(shown === JSON.stringify(expected), "the report shows it as text", shown);
    await page.context().close();
  } finally {
    await site.close();
  }
});
