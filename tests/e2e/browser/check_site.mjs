// Open pages of a site in Debian's headless Chromium and report what a person would see.
//
//   node check_site.mjs plan.json      (prints one JSON object: {"browser": version, "pages": [...]})
//
// plan.json: {"executable": "/usr/bin/chromium", "userDataDir": "<new empty dir>", "args": [chromium flags],
//             "pages": [{"name", "url", "wait": "app" | "load", "screenshot": "<png path>"}]}
// "app" waits until the example app says it is done (#root[data-state] ready or error). Per page the
// report has the HTTP status and content type of the main response, the app's view and state, the
// product names it lists, the body's first characters, and where the screenshot went. The test that
// runs this (tests/e2e/test_browser.py) makes the assertions.
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const plan = JSON.parse(readFileSync(process.argv[2], "utf8"));
const context = await chromium.launchPersistentContext(plan.userDataDir, {
  executablePath: plan.executable,
  headless: true,
  args: plan.args,
  viewport: { width: 1100, height: 700 },
});
const report = { browser: context.browser() ? context.browser().version() : null, pages: [] };
try {
  for (const spec of plan.pages) {
    const page = await context.newPage();
    const result = { name: spec.name, url: spec.url, apiResponses: [] };
    page.on("response", (response) => {
      if (new URL(response.url()).pathname.startsWith("/api/")) {
        result.apiResponses.push({ url: response.url(), status: response.status() });
      }
    });
    try {
      const response = await page.goto(spec.url, { waitUntil: "load", timeout: 30000 });
      result.status = response ? response.status() : null;
      result.contentType = response ? response.headers()["content-type"] || "" : "";
      if (spec.wait === "app") {
        await page
          .waitForSelector("#root[data-state=ready], #root[data-state=error]", { timeout: 20000 })
          .catch(() => {});
      }
      result.view = await page.evaluate(() => (document.getElementById("root") || {}).dataset?.view ?? null);
      result.state = await page.evaluate(() => (document.getElementById("root") || {}).dataset?.state ?? null);
      result.products = await page.$$eval("#products .product a", (links) => links.map((a) => a.textContent));
      result.heading = await page.evaluate(() => (document.querySelector("main h2") || {}).textContent ?? null);
      result.body = (await page.evaluate(() => document.body ? document.body.innerText : "")).slice(0, 500);
      result.finalUrl = page.url();
    } catch (error) {
      result.error = String(error);
    }
    if (spec.screenshot) {
      await page.screenshot({ path: spec.screenshot, fullPage: true }).catch((e) => (result.screenshotError = String(e)));
      result.screenshot = spec.screenshot;
    }
    await page.close();
    report.pages.push(result);
  }
} finally {
  await context.close();
}
console.log(JSON.stringify(report));
