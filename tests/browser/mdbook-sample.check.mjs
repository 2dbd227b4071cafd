// A placement's live sample inside a book mdBook rendered with loopbook as its
// preprocessor: the sample chapter runs the snippet against the inlined stub, which
// records the init call and the placement's call with the example payload.
// Usage: node mdbook-sample.check.mjs BOOK_DIR SAMPLE_PAGE CALL PAYLOAD_JSON

import { assert, check, newPage, serveFolder, step } from "./lib.mjs";

const [bookDir, samplePage, call, payloadJson] = process.argv.slice(2);
const payload = JSON.parse(payloadJson);

await check("mdbook-sample", async (browser) => {
  const site = await serveFolder(bookDir);
  try {
    const page = await newPage(browser);
    step("opening the sample chapter");
    await page.goto(site.url + samplePage);
    step("waiting for the stub to record the calls");
    await page.waitForFunction(
      (method) => (window.loopbookStub?.calls || []).some((c) => c.method === method),
      call,
    );
    const calls = await page.evaluate(() =>
      window.loopbookStub.calls.map((c) => ({ method: c.method, payload: c.payload })));
    assert(calls[0].method === "init", "the init call comes first", calls);
    const placed = calls.find((c) => c.method === call);
    assert(JSON.stringify(placed.payload) === JSON.stringify(payload),
      "the placement's call carries the example payload", placed);
    const report = await page.locator("#lb-stub-report").innerText();
    assert(report.includes(call) && !/✗/.test(report), "the report shows no problem", report);
    assert(page.problems.length === 0, "no script errors or foreign requests", page.problems);
  } finally {
    await site.close();
  }
});
