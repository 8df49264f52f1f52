// The table page's "Quality" section: the latest result of each data-quality expectation
// (GET /api/v1/tables/{db}/{t}/quality, docs/quality.md). Hidden while loading and when the table
// has no results (404: no location, or an empty list).
import { getJson, tablePath } from "./api";
import { formatCount, h } from "./dom";

export interface QualityResult {
  expectation: string; type: string; action: string;
  rows_checked: number | null; violations: number | null; passed: boolean | null;
  checked_at: string | null; operation?: string | null; version?: number | null; sample?: unknown;
}
interface QualityAnswer { table: string; quality_uri: string; expectations: number; results: QualityResult[] }

export function qualitySection(database: string, table: string): HTMLElement {
  const section = h("section", { "aria-labelledby": "quality-h", id: "quality-section", hidden: true },
    h("h2", { id: "quality-h" }, "Quality"));
  getJson<QualityAnswer>(tablePath(database, table) + "/quality").then((answer) => {
    if (!answer.results?.length) return;
    const failing = answer.results.filter((r) => r.passed === false).length;
    section.append(
      h("p", { class: "muted", id: "quality-summary" },
        `${answer.results.length} expectation${answer.results.length === 1 ? "" : "s"}, ` +
        `${failing} violated (latest run of each; results in ${answer.quality_uri})`),
      qualityTable(answer.results));
    section.hidden = false;
  }, () => { /* no results to show: the section stays hidden */ });
  return section;
}

function qualityTable(results: QualityResult[]): HTMLElement {
  const time = (text: string | null) => (text ?? "").replace("T", " ").replace(/(\.\d+)?(\+00(:00)?|Z)$/, " UTC");
  return h("div", { class: "scroll-x" }, h("table", { class: "quality", id: "quality-table" },
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, "Expectation"), h("th", { scope: "col" }, "Type"),
      h("th", { scope: "col" }, "Action"), h("th", { scope: "col", class: "num" }, "Rows checked"),
      h("th", { scope: "col", class: "num" }, "Violations"), h("th", { scope: "col" }, "Result"),
      h("th", { scope: "col" }, "Checked at"))),
    h("tbody", {}, ...results.map((r) => h("tr", { "data-expectation": r.expectation },
      h("td", {}, h("code", {}, r.expectation)), h("td", {}, r.type), h("td", {}, r.action),
      h("td", { class: "num" }, formatCount(r.rows_checked)),
      h("td", { class: "num" }, formatCount(r.violations)),
      h("td", {}, h("span", { class: r.passed ? "tag ok" : "tag bad" }, r.passed ? "passed" : "violated")),
      h("td", {}, time(r.checked_at)))))));
}
