// The SQL console: highlighted editor, Ctrl+Enter runs, cancel, virtualized result grid with column
// types, the error with its position, query history in localStorage, CSV/Parquet download.
import { ApiError, downloadSql, runSql } from "./api";
import { clear, h } from "./dom";
import { Grid } from "./grid";
import { SqlEditor } from "./sql_editor";

const HISTORY_KEY = "neuralake.sql-history";
const HISTORY_MAX = 50;

function loadHistory(): string[] {
  try {
    const parsed = JSON.parse(localStorage.getItem(HISTORY_KEY) ?? "[]");
    return Array.isArray(parsed) ? parsed.filter((q) => typeof q === "string") : [];
  } catch {
    return [];
  }
}

function remember(sql: string): string[] {
  const list = [sql, ...loadHistory().filter((q) => q !== sql)].slice(0, HISTORY_MAX);
  try {
    localStorage.setItem(HISTORY_KEY, JSON.stringify(list));
  } catch {
    // storage full or disabled: history is a convenience
  }
  return list;
}

// "(line 2, column 8)" in a DuckDB/API error message; for parser errors without one, where the
// token of 'syntax error at or near "X"' first occurs in the SQL.
export function errorPosition(message: string, sql: string): { line: number; column: number } | null {
  const match = /line (\d+), column (\d+)/i.exec(message);
  if (match) return { line: Number(match[1]), column: Number(match[2]) };
  const near = /at or near "((?:[^"]|"")+)"/.exec(message);
  const at = near ? sql.indexOf(near[1].replace(/""/g, '"')) : -1;
  if (at < 0) return null;
  const before = sql.slice(0, at).split("\n");
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

export function renderConsole(main: HTMLElement, initial: string): void {
  clear(main);
  const history = loadHistory();
  const editor = new SqlEditor("sql-input", initial || history[0] || "SELECT 42 AS answer");
  const run = h("button", { type: "button", id: "run", class: "primary" }, "Run (Ctrl+Enter)");
  const cancel = h("button", { type: "button", id: "cancel", disabled: true }, "Cancel");
  const maxRows = h("select", { id: "max-rows" },
    ...[100, 1000, 10000, 100000].map((n) => h("option", { value: String(n) }, n.toLocaleString("en-US"))));
  maxRows.value = "10000";
  const csv = h("button", { type: "button", id: "download-csv" }, "Download CSV");
  const parquet = h("button", { type: "button", id: "download-parquet" }, "Download Parquet");
  const historySelect = h("select", { id: "sql-history" });
  const fillHistory = (list: string[]) => {
    historySelect.replaceChildren(h("option", { value: "" }, `History (${list.length})`),
      ...list.map((q, i) => h("option", { value: String(i) }, q.replace(/\s+/g, " ").slice(0, 80))));
  };
  fillHistory(history);
  historySelect.addEventListener("change", () => {
    const list = loadHistory();
    const picked = list[Number(historySelect.value)];
    if (historySelect.value !== "" && picked !== undefined) editor.value = picked;
    historySelect.value = "";
    editor.textarea.focus();
  });
  const errorBox = h("div", { id: "sql-error", class: "error-box", role: "alert", hidden: true });
  const stats = h("p", { id: "sql-stats", class: "muted", role: "status", "aria-live": "polite" });
  const position = h("p", { id: "grid-position", class: "muted" });
  const gridHost = h("div", { class: "grid-host tall", id: "sql-grid" });
  const grid = new Grid(gridHost, "Query result");
  let controller: AbortController | null = null;

  const showError = (sql: string, error: Error) => {
    errorBox.hidden = false;
    const message = error.message;
    const code = error instanceof ApiError ? `${error.status} ${error.code}: ` : "";
    errorBox.replaceChildren(h("strong", {}, code), message);
    const where = errorPosition(message, sql);
    if (where) {
      const line = sql.split("\n")[where.line - 1] ?? "";
      errorBox.append(h("pre", { class: "error-where", id: "sql-error-where" },
        `line ${where.line}, column ${where.column}\n${line}\n${" ".repeat(Math.max(0, where.column - 1))}^`));
      editor.placeCaret(where.line, where.column);
    }
  };
  const execute = async () => {
    const sql = editor.value.trim();
    if (!sql) return;
    controller?.abort();
    controller = new AbortController();
    run.disabled = true;
    cancel.disabled = false;
    errorBox.hidden = true;
    stats.textContent = "Running…";
    fillHistory(remember(sql));
    const started = performance.now();
    try {
      const answer = await runSql(sql, Number(maxRows.value), controller.signal);
      const fetched = performance.now();
      grid.show(answer.columns, answer.rows);
      const rendered = performance.now();
      const s = answer.stats;
      stats.textContent = `${answer.rows.length.toLocaleString("en-US")} rows` +
        (answer.truncated ? " (truncated: raise Max rows or download)" : "") +
        ` · ${s.elapsed_ms.toFixed(1)} ms on the server, ${(fetched - started).toFixed(0)} ms round trip,` +
        ` ${(rendered - fetched).toFixed(0)} ms to render · ${s.files_read} files read, ${s.files_pruned} pruned,` +
        ` ${s.bytes_read.toLocaleString("en-US")} bytes` + (s.version !== null ? ` · version ${s.version}` : "");
      gridHost.dataset.renderMs = (rendered - fetched).toFixed(1);
      updatePosition();
    } catch (error) {
      if ((error as Error).name === "AbortError") {
        stats.textContent = "Cancelled.";
      } else {
        stats.textContent = "";
        showError(editor.value, error as Error);
      }
    } finally {
      run.disabled = false;
      cancel.disabled = true;
    }
  };
  const updatePosition = () => {
    const first = grid.firstVisibleRow();
    const count = grid.rowCount;
    position.textContent = count ? `rows ${Math.min(first + 1, count).toLocaleString("en-US")}–` +
      `${Math.min(first + 30, count).toLocaleString("en-US")} of ${count.toLocaleString("en-US")}` : "";
  };
  gridHost.addEventListener("scroll", updatePosition, { capture: true, passive: true });
  run.addEventListener("click", () => void execute());
  cancel.addEventListener("click", () => controller?.abort());
  editor.textarea.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      event.preventDefault();
      void execute();
    }
  });
  const download = async (format: "csv" | "parquet") => {
    errorBox.hidden = true;
    try {
      await downloadSql(editor.value.trim(), format, `result.${format}`);
    } catch (error) {
      showError(editor.value, error as Error);
    }
  };
  csv.addEventListener("click", () => void download("csv"));
  parquet.addEventListener("click", () => void download("parquet"));

  main.append(
    h("h1", {}, "SQL console"),
    h("label", { for: "sql-input" }, "SQL (read-only SELECT over the catalog's tables, e.g. db.table)"),
    editor.element,
    h("div", { class: "row toolbar" }, run, cancel,
      h("label", { for: "max-rows" }, "Max rows"), maxRows,
      h("label", { for: "sql-history", class: "visually-hidden" }, "Query history"), historySelect,
      csv, parquet),
    errorBox, stats, position, gridHost);
  editor.textarea.focus();
}
