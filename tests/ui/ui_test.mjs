// Browser tests of the web UI (docs/ui.md): Debian's chromium driven by playwright-core against
// `neuralake serve` over generated local Delta tables. Every check can fail; screenshots are saved
// in $UI_ARTIFACTS. Also prints (does not assert) first paint of a 1,000-table catalog and the
// time to render a 10,000-row SQL result.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { EVIL_DESCRIPTION, makeKeys, makeLake, makeWideCatalog, neuralake, serve } from "./fixtures.mjs";

const ARTIFACTS = process.env.UI_ARTIFACTS ?? path.join(os.tmpdir(), "neuralake-ui-artifacts");
const WORK = path.join(os.tmpdir(), `neuralake-ui-test-${process.pid}`);
mkdirSync(ARTIFACTS, { recursive: true });

const results = [];
async function step(name, body) {
  const started = Date.now();
  try {
    await body();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}: ${error.stack ?? error}`);
  }
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

// The grid's rows as arrays of cell texts, in row order.
async function gridRows(page, host) {
  return page.$$eval(`${host} .grid-row`, (rows) => rows
    .sort((a, b) => Number(a.getAttribute("aria-rowindex")) - Number(b.getAttribute("aria-rowindex")))
    .map((row) => [...row.querySelectorAll(".grid-cell")].map((cell) => cell.textContent)));
}

async function gridHeader(page, host) {
  return page.$$eval(`${host} .grid-head .col-name`, (cells) => cells.map((cell) => cell.textContent));
}

// Every input, select, textarea and button has an accessible name.
async function unlabelled(page) {
  return page.$$eval("input, select, textarea, button", (controls) => controls.filter((control) => {
    if (control.closest("[hidden]") || control.closest("dialog:not([open])")) return false;
    const id = control.getAttribute("id");
    const label = id && document.querySelector(`label[for="${CSS.escape(id)}"]`);
    return !label && !control.getAttribute("aria-label") && !(control.textContent ?? "").trim();
  }).map((control) => control.outerHTML.slice(0, 80)));
}

async function main() {
  const lake = makeLake(WORK);
  const server = await serve(lake.catalog);
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox"] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  const page = await context.newPage();
  const pageErrors = [];
  page.on("pageerror", (error) => pageErrors.push(error.message));
  try {
    await catalogSteps(page, server.base);
    await tableSteps(page, server.base);
    await consoleSteps(page, server.base);
    await otherSteps(page, browser, server.base, lake);
    await step("no uncaught errors in the page", async () => assert.deepEqual(pageErrors, []));
  } finally {
    await server.stop();
  }
  await signInSteps(browser, lake);
  await performance(browser, lake);
  await browser.close();
  const failed = results.filter((r) => !r.ok);
  console.log(`${results.length - failed.length} of ${results.length} checks passed; screenshots in ${ARTIFACTS}`);
  process.exit(failed.length ? 1 : 0);
}

async function catalogSteps(page, base) {
  await step("catalog lists the tables with figures", async () => {
    await page.goto(base + "/");
    await page.waitForSelector("#catalog-table tbody tr");
    const names = await page.$$eval("#catalog-table tbody tr", (rows) => rows.map((r) => r.dataset.table));
    assert.deepEqual(names.sort(), ["demo.events", "demo.evil"]);
    const events = await page.textContent('tr[data-table="demo.events"]');
    assert.match(events, /10,000/);  // rows
    await shot(page, "catalog");
  });
  await step("a description with markup is shown as text (no script runs)", async () => {
    const text = await page.textContent('tr[data-table="demo.evil"] td.description');
    assert.equal(text, EVIL_DESCRIPTION);
    assert.equal(await page.$('tr[data-table="demo.evil"] img, tr[data-table="demo.evil"] script'), null);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
  });
  await step("search as you type filters the catalog", async () => {
    await page.fill("#catalog-search", "two versions");
    const visible = await page.$$eval("#catalog-table tbody tr:not([hidden])", (rows) => rows.map((r) => r.dataset.table));
    assert.deepEqual(visible, ["demo.events"]);
    assert.match(await page.textContent("#catalog-count"), /^1 of 2 tables/);
    await page.fill("#catalog-search", "score");  // a column name
    assert.equal((await page.$$("#catalog-table tbody tr:not([hidden])")).length, 2);
    await page.fill("#catalog-search", "no-such-table");
    assert.equal((await page.$$("#catalog-table tbody tr:not([hidden])")).length, 0);
    await page.fill("#catalog-search", "events");
  });
}

async function tableSteps(page, base) {
  await step("open a table: schema with partition column, history, sample", async () => {
    await page.click('tr[data-table="demo.events"] a');
    await page.waitForSelector("#schema-table tbody tr");
    const schema = await page.$$eval("#schema-table tbody tr", (rows) => rows.map((r) => r.textContent));
    assert.equal(schema.length, 4);
    assert.ok(schema.some((row) => row.startsWith("grp") && row.includes("partition")), schema.join("|"));
    const history = await page.$$eval("#history-table tbody tr td:first-child", (cells) => cells.map((c) => c.textContent));
    assert.deepEqual(history, ["1", "0"]);
    await page.waitForFunction(() => /rows/.test(document.querySelector("#sample-status")?.textContent ?? ""));
    assert.equal((await gridRows(page, "#sample-grid")).length > 0, true);
    assert.match(await page.textContent("#snippets-h + figure"), /curl -s/);
    await shot(page, "table");
  });
  await step("quality section lists each expectation's latest result, a violated one marked", async () => {
    await page.waitForSelector("#quality-table tbody tr");
    const rows = await page.$$eval("#quality-table tbody tr", (trs) => trs.map((tr) =>
      [tr.dataset.expectation, ...[...tr.querySelectorAll("td")].map((td) => td.textContent)]));
    assert.deepEqual(rows.map((r) => r.slice(0, 7)), [
      ["has_id", "has_id", "not_null", "warn", "10,000", "0", "passed"],
      ["score_at_most_4000", "score_at_most_4000", "range", "warn", "10,000", "1,999", "violated"],
    ]);
    assert.match(rows[1][7], /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}/);  // checked_at
    assert.match(await page.textContent("#quality-summary"), /^2 expectations, 1 violated/);
    // A table without results has no Quality section.
    await page.goto(base + "/#/table/demo/evil");
    await page.waitForSelector("#history-table, #history-h + p");
    await page.waitForTimeout(300);
    assert.equal(await page.$eval("#quality-section", (s) => s.hidden), true);
    await page.goto(base + "/#/table/demo/events");
    await page.waitForSelector("#quality-table tbody tr");
    await page.waitForFunction(() => /rows/.test(document.querySelector("#sample-status")?.textContent ?? ""));
  });
  await step("filter the sample; the API call beside it changes and its rows match", async () => {
    await page.click("#add-filter");
    const filter = page.locator("#filters .filter").last();
    await filter.locator("select").first().selectOption("grp");
    await filter.locator("select").nth(1).selectOption("eq");
    await filter.locator("input").fill("2");
    await page.fill("#sample-form input[placeholder='col or -col']", "-id");
    await page.click("#apply-filters");
    await page.waitForFunction(() => (document.querySelector("#sample-url")?.textContent ?? "").includes("grp=2"));
    await page.waitForFunction(() => /^\d+ rows/.test(document.querySelector("#sample-status")?.textContent ?? ""));
    const url = await page.textContent("#sample-url");
    assert.match(url, /^GET \/api\/v1\/tables\/demo\/events\?grp=2&_sort=-id&_size=50$/);
    const header = await gridHeader(page, "#sample-grid");
    const rows = await gridRows(page, "#sample-grid");
    const grp = header.indexOf("grp"), id = header.indexOf("id");
    assert.ok(rows.length > 0);
    assert.ok(rows.every((row) => row[grp] === "2"), "every row has grp 2");
    assert.equal(rows[0][id], "9998");  // the largest id with id % 4 == 2
    // The same call made directly answers the same first rows.
    const api = await (await fetch(base + url.slice(4))).json();
    assert.equal(String(api.rows[0].id), rows[0][id]);
    await shot(page, "table-filtered");
  });
  await step("switch version: the sample reads version 0", async () => {
    await page.selectOption("select[name=version]", "0");
    await page.waitForFunction(() => /version 0/.test(document.querySelector("#sample-status")?.textContent ?? ""));
    assert.match(await page.textContent("#sample-url"), /_version=0/);
    const rows = await gridRows(page, "#sample-grid");
    const id = (await gridHeader(page, "#sample-grid")).indexOf("id");
    assert.equal(rows[0][id], "5998");  // version 0 ends at id 5999
    assert.match(page.url(), /version=0/);  // kept in the address
  });
}

async function runSql(page, sql) {
  await page.fill("#sql-input", sql);
  await page.focus("#sql-input");
  await page.keyboard.press("Control+Enter");
  await page.waitForFunction(() => {
    const stats = document.querySelector("#sql-stats")?.textContent ?? "";
    return /rows|Cancelled/.test(stats) || !document.querySelector("#sql-error")?.hidden;
  });
}

async function consoleSteps(page, base) {
  await step("SQL console: Ctrl+Enter runs the query and shows the right rows with types", async () => {
    await page.goto(base + "/#/sql");
    await runSql(page, "SELECT id, name, score FROM demo.events WHERE id BETWEEN 10 AND 14 ORDER BY id");
    const rows = await gridRows(page, "#sql-grid");
    assert.deepEqual(rows, [10, 11, 12, 13, 14].map((i) => [String(i), `name-${i}`, String(i * 0.5)]));
    const types = await page.$$eval("#sql-grid .col-type", (cells) => cells.map((c) => c.textContent));
    assert.deepEqual(types, ["BIGINT", "VARCHAR", "DOUBLE"]);
    assert.match(await page.textContent("#sql-stats"), /5 rows .* files read/);
    assert.ok((await page.$$(".sql-editor .tok-keyword")).length >= 4, "keywords are highlighted");
    await shot(page, "console");
  });
  await step("page through a 10,000-row result", async () => {
    await runSql(page, "SELECT id, name, grp FROM demo.events ORDER BY id");
    assert.match(await page.textContent("#sql-stats"), /^10,000 rows/);
    const rows = await gridRows(page, "#sql-grid");
    assert.equal(rows[0][0], "0");
    assert.ok(rows.length < 200, `only the visible rows are in the DOM (${rows.length})`);
    await page.focus("#sql-grid .grid-viewport");
    await page.keyboard.press("PageDown");
    await page.keyboard.press("PageDown");
    // Rows are repainted on the scroll event, a frame later.
    await page.waitForFunction(() => [...document.querySelectorAll("#sql-grid .grid-row")]
      .some((row) => row.firstChild?.textContent === "40"), null, { timeout: 5000 });
    assert.ok(await page.$eval("#sql-grid .grid-viewport", (viewport) => viewport.scrollTop) > 0, "PageDown scrolled");
    await page.keyboard.press("End");
    await page.waitForFunction(() => [...document.querySelectorAll("#sql-grid .grid-row")]
      .some((row) => row.firstChild?.textContent === "9999"));
    assert.match(await page.textContent("#grid-position"), /of 10,000$/);
    await page.$eval("#sql-grid .grid-viewport", (viewport) => { viewport.scrollTop = 5000 * 26; });
    await page.waitForFunction(() => [...document.querySelectorAll("#sql-grid .grid-row")]
      .some((row) => row.firstChild?.textContent === "5000"));
    await shot(page, "console-10000");
  });
  await step("bad SQL shows the error with its position", async () => {
    await runSql(page, "SELECT id\nFROM demo.events\nWHERE nope > 1");
    await page.waitForSelector("#sql-error:not([hidden])");
    assert.equal(await page.textContent("#sql-error-where"), "line 3, column 7\nWHERE nope > 1\n      ^");
    assert.match(await page.textContent("#sql-error"), /^400 BadRequest: Binder Error: .*"nope"/);
    const caret = await page.$eval("#sql-input", (input) => input.selectionStart);
    assert.equal(caret, "SELECT id\nFROM demo.events\nWHERE ".length, "the caret is put at the error");
    await shot(page, "console-error");
    // A parser error without a position: the token it names is located in the text.
    await runSql(page, "SELECT 1\nFROM demo.events\nWHER id = 1");
    await page.waitForSelector("#sql-error-where");
    // (DuckDB reads WHER as an alias and stops at "id".)
    assert.equal(await page.textContent("#sql-error-where"), "line 3, column 6\nWHER id = 1\n     ^");
  });
  await step("query history is kept in localStorage", async () => {
    const history = await page.evaluate(() => JSON.parse(localStorage.getItem("neuralake.sql-history")));
    assert.equal(history[0], "SELECT 1\nFROM demo.events\nWHER id = 1");
    assert.equal(history.length, 4);
  });
  await step("download CSV equals the API's CSV", async () => {
    const sql = "SELECT id, name, grp, score FROM demo.events WHERE id < 300 ORDER BY id";
    await page.fill("#sql-input", sql);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-csv")]);
    const file = await download.path();
    const downloaded = readFileSync(file, "utf8");
    const api = await (await fetch(base + "/api/v1/sql", { method: "POST", body: JSON.stringify({ sql, format: "csv" }) })).text();
    assert.equal(downloaded, api);
    assert.equal(downloaded.trim().split("\n").length, 301);
    assert.equal(downloaded.split("\n")[0], "id,name,grp,score");
    const [parquet] = await Promise.all([page.waitForEvent("download"), page.click("#download-parquet")]);
    const bytes = readFileSync(await parquet.path());
    assert.equal(bytes.subarray(0, 4).toString(), "PAR1");
    assert.equal(bytes.subarray(bytes.length - 4).toString(), "PAR1");
    assert.equal(parquet.suggestedFilename(), "result.parquet");
  });
}

async function otherSteps(page, browser, base, lake) {
  await step("status page: readable metrics and a size chart", async () => {
    await page.goto(base + "/#/status");
    await page.waitForSelector("#size-chart rect");
    assert.equal((await page.$$("#size-chart rect")).length, 2);
    assert.match(await page.textContent("#status-summary"), /Requests/);
    assert.ok((await page.$$("#metrics-table tbody tr")).length > 5);
    await shot(page, "status");
  });
  await step("every control is labelled (catalog, table, console)", async () => {
    for (const hash of ["#/", "#/table/demo/events", "#/sql"]) {
      await page.goto(base + "/" + hash);
      await page.waitForSelector("h1");
      await page.waitForTimeout(300);
      assert.deepEqual(await unlabelled(page), [], hash);
    }
  });
  await step("usable at 390 px wide: no page-wide horizontal scrolling", async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    for (const [hash, name] of [["#/", "catalog"], ["#/table/demo/events", "table"], ["#/sql", "console"]]) {
      await phone.goto(base + "/" + hash);
      await phone.waitForSelector("h1");
      await phone.waitForTimeout(400);
      const width = await phone.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 392, `${hash} is ${width} px wide`);
      await shot(phone, `phone-${name}`);
    }
    await phone.close();
  });
  await step("static export opens from file://", async () => {
    const site = path.join(WORK, "site");
    neuralake("catalog", "export", "--catalog", lake.catalog, "--site", site);
    const json = JSON.parse(neuralake("catalog", "export", "--catalog", lake.catalog, "--format", "json"));
    assert.deepEqual(json.databases[0].tables.map((t) => t.name).sort(), ["events", "evil"]);
    await page.goto("file://" + path.join(site, "index.html"));
    await page.waitForSelector("#catalog-table tbody tr");
    assert.equal((await page.$$("#catalog-table tbody tr")).length, 2);
    assert.equal(await page.textContent('tr[data-table="demo.evil"] td.description'), EVIL_DESCRIPTION);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    await page.click('tr[data-table="demo.events"] a');
    await page.waitForSelector("#schema-table tbody tr");
    assert.equal((await page.$$("#schema-table tbody tr")).length, 4);
    assert.match(await page.textContent("main"), /SELECT \*\s*FROM demo\.events/);
    await shot(page, "static-export");
  });
}

async function signInSteps(browser, lake) {
  const server = await serve(lake.catalog, "--api-keys", makeKeys(WORK, "right-key"));
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  try {
    await step("no key: the sign-in prompt, not an error dump", async () => {
      await page.goto(server.base + "/");
      await page.waitForSelector("#signin[open]");
      assert.match(await page.textContent("#signin-reason"), /needs an API key/);
      await shot(page, "signin");
    });
    await step("closing the prompt leaves a Sign in button, not a stack trace", async () => {
      await page.keyboard.press("Escape");
      await page.waitForSelector("#signin-again");
      assert.match(await page.textContent("#page-error"), /^401 Unauthorized: /);
      await page.click("#signin-again");
      await page.waitForSelector("#signin[open]");
    });
    await step("an invalid key keeps the prompt open and says so", async () => {
      await page.fill("#signin-key", "wrong-key");
      await page.click("#signin button[type=submit]");
      await page.waitForFunction(() => /refused/.test(document.querySelector("#signin-reason")?.textContent ?? ""));
      assert.ok(await page.$("#signin[open]"));
    });
    await step("the right key opens the catalog", async () => {
      await page.fill("#signin-key", "right-key");
      await page.click("#signin button[type=submit]");
      await page.waitForSelector("#catalog-table tbody tr");
      assert.equal(await page.$("#signin[open]"), null);
      assert.equal(await page.evaluate(() => sessionStorage.getItem("neuralake.key")), "right-key");
    });
  } finally {
    await page.close();
    await server.stop();
  }
}

async function performance(browser, lake) {
  const server = await serve(makeWideCatalog(WORK, lake.evil), "--timeout", "3s");
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  try {
    await step("measure: first paint of a 1,000-table catalog", async () => {
      await page.goto(server.base + "/");  // warms the snapshot cache
      await page.waitForSelector("#catalog-table tbody tr");
      const runs = [];
      for (let i = 0; i < 3; i++) {
        await page.goto(server.base + "/?run=" + i);
        await page.waitForFunction(() => document.querySelectorAll("#catalog-table tbody tr").length === 1000);
        runs.push(await page.evaluate(() => new Promise((done) =>
          requestAnimationFrame(() => done(performance.now())))));
      }
      assert.equal((await page.$$("#catalog-table tbody tr")).length, 1000);
      const started = Date.now();
      const answer = await (await fetch(server.base + "/api/v1/catalog")).json();
      const api = Date.now() - started;
      assert.equal(answer.databases.reduce((n, d) => n + d.tables.length, 0), 1000);
      console.log(`PERF catalog of 1,000 tables: first paint with rows ${runs.map((ms) => ms.toFixed(0)).join(", ")} ms` +
        ` (3 loads; the /api/v1/catalog answer alone takes ${api} ms)`);
      await shot(page, "catalog-1000");
    });
    await step("Cancel aborts a running query", async () => {
      await page.goto(server.base + "/#/sql");
      await page.fill("#sql-input", "SELECT sum(i * i) FROM range(20000000000) t(i)");
      await page.click("#run");
      await page.waitForFunction(() => !document.querySelector("#cancel").disabled);
      await page.waitForTimeout(300);
      await page.click("#cancel");
      await page.waitForFunction(() => document.querySelector("#sql-stats")?.textContent === "Cancelled.", null,
        { timeout: 2000 });
      assert.equal(await page.$eval("#run", (button) => button.disabled), false);
      assert.equal(await page.$eval("#cancel", (button) => button.disabled), true);
    });
    await step("measure: render a 10,000-row result", async () => {
      await page.goto(server.base + "/#/sql");
      const timings = [];
      const trips = [];
      for (let i = 0; i < 3; i++) {
        await runSql(page, `SELECT i AS id, 'row ' || i AS label, i * 0.5 AS half FROM range(10000 + ${i}) t(i)`);
        assert.match(await page.textContent("#sql-stats"), /^10,00\d rows/);
        timings.push(Number(await page.getAttribute("#sql-grid", "data-render-ms")));
        trips.push(Number(/(\d+) ms round trip/.exec(await page.textContent("#sql-stats"))[1]));
      }
      console.log(`PERF 10,000-row result: grid render ${timings.map((ms) => ms.toFixed(1)).join(", ")} ms;` +
        ` request to parsed JSON ${trips.join(", ")} ms (3 runs)`);
    });
  } finally {
    await page.close();
    await server.stop();
  }
}

await main();
