// `loopbook serve` in a real browser: saving a page's source shows the new text with
// no action in the browser and keeps the scroll position; breaking the source shows the
// error overlay over the last good page; fixing it removes the overlay.
// Usage: node serve.check.mjs PAGE_URL SOURCE_FILE
// SOURCE_FILE must contain the word MARKER-ONE and be long enough to scroll.

import fs from "node:fs";
import { assert, check, newPage } from "./lib.mjs";

const [pageUrl, sourceFile] = process.argv.slice(2);
const original = fs.readFileSync(sourceFile, "utf8");
const SCROLL = 600;

await check("serve", async (browser) => {
  const page = await newPage(browser, { viewport: { width: 900, height: 600 } });
  await page.goto(pageUrl);
  await page.waitForFunction(() => document.body.innerText.includes("MARKER-ONE"));
  await page.evaluate((y) => window.scrollTo(0, y), SCROLL);
  // The event stream is connected once the server has answered the script's request.
  await page.waitForTimeout(300);

  fs.writeFileSync(sourceFile, original.replace("MARKER-ONE", "MARKER-TWO"));
  await page.waitForFunction(() => document.body.innerText.includes("MARKER-TWO"));
  await page.waitForFunction((y) => Math.abs(window.scrollY - y) < 2, SCROLL);

  fs.writeFileSync(sourceFile, `${original}\n\`\`\`{include} missing-part.md\n\`\`\`\n`);
  const overlay = page.locator("#loopbook-overlay .problem").first();
  await overlay.waitFor();
  const text = await overlay.innerText();
  assert(text.includes("missing-part.md"), "the overlay names the missing file", text);
  assert(/\.md:\d+:\d+/.test(text), "the overlay gives file:line:column", text);
  const still = await page.evaluate(() => document.body.innerText.includes("MARKER-TWO"));
  assert(still, "the last good page stays under the overlay");

  fs.writeFileSync(sourceFile, original.replace("MARKER-ONE", "MARKER-THREE"));
  await page.waitForFunction(() => document.body.innerText.includes("MARKER-THREE"));
  await page.locator("#loopbook-overlay").waitFor({ state: "detached" });
});
