// Fixtures for the browser tests: generated local Delta tables, catalogs, `neuralake serve`.
import { spawn, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

export const BIN = process.env.NEURALAKE_BIN ?? "neuralake";

export function neuralake(...args) {
  return execFileSync(BIN, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function csv(rows) {
  return "id,name,grp,score\n" + rows.map((i) => `${i},name-${i},${i % 4},${(i * 0.5).toFixed(1)}`).join("\n") + "\n";
}

function range(from, to) {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

// demo.events: version 0 holds ids 0..5999, version 1 adds 6000..9999 (10,000 rows), partitioned
// by grp, with two expectations checked once. demo.evil: a description with markup. Returns the
// catalog file path.
export function makeLake(work) {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const first = path.join(work, "first.csv");
  const second = path.join(work, "second.csv");
  writeFileSync(first, csv(range(0, 6000)));
  writeFileSync(second, csv(range(6000, 10000)));
  const events = path.join(work, "events");
  neuralake("table", "create", events, "--from", first, "--partition-by", "grp");
  neuralake("table", "append", events, "--from", second);
  const evil = path.join(work, "evil");
  const small = path.join(work, "small.csv");
  writeFileSync(small, csv(range(0, 10)));
  neuralake("table", "create", evil, "--from", small);
  const catalog = path.join(work, "catalog.yaml");
  writeFileSync(catalog, [
    "databases:",
    "  demo:",
    "    tables:",
    "      events:",
    `        {type: delta, uri: ${JSON.stringify(events)}, description: "generated events, two versions",`,
    "         expectations: [{name: has_id, type: not_null, column: id},",
    "                        {name: score_at_most_4000, type: range, column: score, max: 4000}]}",
    `      evil: {type: delta, uri: ${JSON.stringify(evil)}, description: ${JSON.stringify(EVIL_DESCRIPTION)}}`,
    "",
  ].join("\n"));
  // Results in <work>/_quality: has_id holds, score_at_most_4000 (warn) is violated by ids
  // 8001..9999 (score = id / 2), 1,999 rows. demo.evil declares none: no Quality section.
  neuralake("check", "demo.events", "--catalog", catalog);
  return { catalog, events, evil };
}

export const EVIL_DESCRIPTION = `quotes ' " and <img src=x onerror="window.__xss=1"><script>window.__xss=1</script>`;

// 1,000 tables over one small Delta table, in 10 databases.
export function makeWideCatalog(work, uri) {
  const lines = ["databases:"];
  for (let d = 0; d < 10; d++) {
    lines.push(`  db${d}:`, "    tables:");
    for (let t = 0; t < 100; t++) {
      lines.push(`      table_${t}: {type: delta, uri: ${JSON.stringify(uri)}, description: "table ${t} of database ${d}"}`);
    }
  }
  const file = path.join(work, "wide.yaml");
  writeFileSync(file, lines.join("\n") + "\n");
  return file;
}

export function makeKeys(work, key) {
  const file = path.join(work, "keys.yaml");
  const sha = createHash("sha256").update(key).digest("hex");
  writeFileSync(file, `keys:\n  - {name: tester, sha256: ${sha}, databases: ["*"]}\n`);
  return file;
}

// Starts `neuralake serve` on a free port; resolves to { base, stop() }.
export function serve(catalog, ...extra) {
  const uiDir = process.env.UI_DIR;
  const child = spawn(BIN, ["serve", "--catalog", catalog, "--port", "0", "-q", "--refresh", "0",
    ...(uiDir ? ["--ui-dir", uiDir] : []), ...extra], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => { stderr += chunk; });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 60_000);
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const match = /listening on (http:\/\/[0-9.]+:\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({
          base: match[1],
          stop: () => new Promise((done) => { child.once("exit", done); child.kill("SIGTERM"); }),
        });
      }
    });
    child.once("exit", (code) => reject(new Error(`server exited ${code}: ${stderr}`)));
  });
}
