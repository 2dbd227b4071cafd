// Placements in a real browser: the live sample runs the real snippet against the
// stub, the editor re-runs it with an edited payload, the invite page draws the mock
// widget in its container, and the site-id box rewrites every snippet and what the
// copy buttons copy.
// Usage: node placements.check.mjs SITE_DIR LOADER_URL
//   LOADER_URL: the platform's script URL the invite page loads (served the stub here).

import fs from "node:fs";
import path from "node:path";
import { assert, check, clipboardText, newPage, serveFolder } from "./lib.mjs";

const [siteDir, loaderUrl] = process.argv.slice(2);

await check("placements", async (browser) => {
  const site = await serveFolder(siteDir);
  try {
    await samplePage(browser, site);
    await invitePage(browser, site);
    await siteIdBox(browser, site);
  } finally {
    await site.close();
  }
});

async function samplePage(browser, site) {
  const page = await newPage(browser);
  await page.goto(site.url + "samples/post_purchase/index.html");
  await page.locator('.lb-stub-call[data-method="register_purchase"]').waitFor();

  const calls = await page.evaluate(() => window.loopbookStub.calls);
  const expected = JSON.parse(fs.readFileSync(path.join(siteDir, "samples/post_purchase/payload.json")));
  assert(calls.length === 2, "the stub recorded two calls", calls.map((c) => c.method));
  assert(calls[0].method === "init" && calls[0].payload.site_id === "YOUR-SITE-ID",
    "the first call is init with the site id", calls[0]);
  assert(calls[1].method === "register_purchase", "the second is the placement's call", calls[1].method);
  assert(JSON.stringify(calls[1].payload) === JSON.stringify(expected),
    "the call carries the example payload", calls[1].payload);
  assert(calls[1].problems === 0, "the example payload passes the schema", calls[1].rows);

  // Break one field in the editor and run the call again.
  const broken = { ...expected, email: "not-an-email" };
  await page.locator("#lb-payload-editor").fill(JSON.stringify(broken, null, 2));
  await page.locator("#lb-payload-run").click();
  const latest = page.locator('.lb-stub-call.lb-stub-latest[data-method="register_purchase"]');
  const emailRow = latest.locator('tr[data-path="email"]');
  await emailRow.waitFor();
  const emailClass = await emailRow.getAttribute("class");
  assert(emailClass.includes("lb-stub-row-error"), "the email row is marked as an error", emailClass);
  const verdict = await emailRow.locator(".lb-stub-verdict").textContent();
  assert(verdict.includes("not a valid email address"), "the error says what is wrong", verdict);
  const errorRows = await latest.locator("tr.lb-stub-row-error").evaluateAll(
    (rows) => rows.map((row) => row.dataset.path));
  assert(errorRows.length === 1 && errorRows[0] === "email", "only the broken field is marked", errorRows);
  const status = await page.locator("#lb-payload-status").textContent();
  assert(status.includes("1 problem"), "the editor reports the problem", status);

  // Not JSON at all: said in the editor, nothing pushed.
  const before = await page.evaluate(() => window.loopbookStub.calls.length);
  await page.locator("#lb-payload-editor").fill("{ order_number: ");
  await page.locator("#lb-payload-run").click();
  const syntax = await page.locator("#lb-payload-status").textContent();
  assert(syntax.startsWith("Not valid JSON"), "a syntax error is shown", syntax);
  const after = await page.evaluate(() => window.loopbookStub.calls.length);
  assert(after === before, "nothing is pushed for text that is not JSON", { before, after });

  assert(page.problems.length === 0, "no script errors or foreign requests on the sample", page.problems);
  await page.context().close();
}

async function invitePage(browser, site) {
  const page = await newPage(browser);
  // The invite page loads the platform's real script; here the stub stands in for it.
  const stub = fs.readFileSync(path.join(siteDir, "theme/loopbook-stub.js"), "utf8");
  const settings = 'window.loopbookStubConfig = { queue: "_ripple", title: "Invite" };\n';
  await page.route(loaderUrl, (route) =>
    route.fulfill({ status: 200, contentType: "text/javascript", body: settings + stub }));
  await page.goto(site.url + "invite/");

  const frame = page.locator("#ripple-invite iframe.lb-stub-widget");
  await frame.waitFor();
  const inside = await frame.contentFrame().locator("body").textContent();
  assert(inside.includes("Campaign tags: invite"), "the mock widget shows the call's campaign tags", inside);
  const calls = await page.evaluate(() => window.loopbookStub.calls.map((c) => c.method));
  assert(calls.join() === "init,show_invite", "the invite page made the init and show_invite calls", calls);

  const problems = page.problems.filter((problem) => !problem.includes(loaderUrl));
  assert(problems.length === 0, "no script errors or other foreign requests on the invite page", problems);
  await page.context().close();
}

async function siteIdBox(browser, site) {
  const page = await newPage(browser, { permissions: ["clipboard-read", "clipboard-write"] });
  await page.goto(site.url + "integration/post-purchase.html");
  const snippets = page.locator(".lb-snippet pre code");
  const count = await snippets.count();
  assert(count >= 2, "the page shows several snippets", count);

  await page.locator("#lb-site-id-input").fill("shop-42");
  const texts = await snippets.allTextContents();
  for (const text of texts) {
    assert(text.includes('site_id: "shop-42"') && !text.includes("YOUR-SITE-ID"),
      "every snippet carries the reader's site id", text);
  }

  for (let i = 0; i < count; i++) {
    const block = page.locator(".lb-snippet").nth(i);
    await block.hover();
    await block.locator("button.lb-copy").click();
    await block.locator("button.lb-copy", { hasText: "Copied" }).waitFor();
    const copied = await clipboardText(page);
    assert(copied === texts[i], "the copy button copies the snippet with the new id", copied);
  }

  // Anything that is not a plain id is refused, and the last good one stays.
  await page.locator("#lb-site-id-input").fill('x"); alert(1); ("');
  const invalid = await page.locator("#lb-site-id-input").getAttribute("aria-invalid");
  assert(invalid === "true", "an id with quotes is marked invalid", invalid);
  const kept = await snippets.first().textContent();
  assert(kept.includes('site_id: "shop-42"'), "the snippets keep the last valid id", kept);

  // Kept for the next page, in this browser only.
  await page.locator("#lb-site-id-input").fill("shop-42");
  await page.reload();
  const reloaded = await snippets.first().textContent();
  assert(reloaded.includes('site_id: "shop-42"'), "the id is remembered after a reload", reloaded);

  assert(page.problems.length === 0, "no script errors or foreign requests on the docs page", page.problems);
  await page.context().close();
}
