// The default theme in a real browser: copy buttons copy exactly the code, the
// light/dark choice sticks across pages, and no page calls another host.
// Usage: node theme.check.mjs SITE_DIR PAGE  (PAGE: a page with a code block)

import { assert, check, clipboardText, newPage, serveFolder } from "./lib.mjs";

const [siteDir, pagePath] = process.argv.slice(2);

await check("theme", async (browser) => {
  const site = await serveFolder(siteDir);
  try {
    const page = await newPage(browser, { permissions: ["clipboard-read", "clipboard-write"] });
    await page.goto(site.url + pagePath);
    // Copying needs the focused page.
    await page.bringToFront();

    const code = page.locator(".lb-code").first();
    const expected = await code.locator("pre code").textContent();
    await code.hover();
    await code.locator("button.lb-copy").click();
    await page.locator("button.lb-copy", { hasText: "Copied" }).first().waitFor();
    const copied = await clipboardText(page);
    assert(copied === expected, "the copy button copies exactly the code block", copied);

    // Keyboard: the toggle is a real button, reachable and pressable without a mouse.
    await page.locator(".lb-theme-toggle").focus();
    const before = await page.evaluate(() => document.documentElement.dataset.theme || "");
    await page.keyboard.press("Enter");
    const after = await page.evaluate(() => document.documentElement.dataset.theme);
    assert(after && after !== before, "Enter on the toggle switches the theme", { before, after });
    await page.goto(site.url + "index.html");
    const kept = await page.evaluate(() => document.documentElement.dataset.theme);
    assert(kept === after, "the chosen theme is kept on the next page", kept);

    assert(page.problems.length === 0, "no script errors or foreign requests", page.problems);
  } finally {
    await site.close();
  }
});
