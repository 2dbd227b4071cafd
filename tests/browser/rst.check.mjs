// A Sphinx tree built by loopbook, in a real browser: a `.. container:: hidden` stays
// hidden, a visible toctree shows, a `:ref:` link lands on its label's anchor, and an
// old Sphinx deep link (`page.html#section-id`) scrolls to its section.
// Usage: node rst.check.mjs SITE_DIR

import { assert, check, newPage, serveFolder } from "./lib.mjs";

const [siteDir] = process.argv.slice(2);

await check("rst", async (browser) => {
  const site = await serveFolder(siteDir);
  try {
    const page = await newPage(browser);

    await page.goto(site.url + "ecommerce.html");
    const hidden = page.locator("article .hidden").first();
    assert((await hidden.count()) === 1, "the page has its hidden container");
    assert(!(await hidden.isVisible()), "a `container:: hidden` is not shown");

    await page.goto(site.url + "index.html");
    const toctree = page.locator("article nav.lb-toctree");
    assert(await toctree.isVisible(), "the root page's toctree is shown");
    const entry = toctree.getByRole("link", { name: "Basic Integration" }).first();
    assert(await entry.isVisible(), "a toctree entry lists its page's sections");

    await page.goto(site.url + "saas.html");
    await page.getByRole("link", { name: "Advocate Signup Page" }).first().click();
    await page.waitForURL(/affiliate_members_new\.html#advocate-signup-page-view$/);
    const label = page.locator("#advocate-signup-page-view");
    assert((await label.count()) === 1, "the label's anchor exists on the target page");

    await page.goto(site.url + "standalone.html#custom-integration");
    const heading = page.locator("h2#custom-integration");
    await heading.waitFor();
    const inView = await heading.evaluate((element) => {
      const box = element.getBoundingClientRect();
      return box.top >= 0 && box.top < window.innerHeight;
    });
    assert(inView, "a Sphinx deep link scrolls to its section");

    assert(page.problems.length === 0, "no script errors or foreign requests", page.problems);
  } finally {
    await site.close();
  }
});
