// One table: schema (with partition columns), data-quality results (quality_section.ts), history, a filtered sample whose API call is shown
// beside it, a version picker and code snippets.
import {
  ApiError, Column, Commit, QueryAnswer, TableInfo, apiBase, catalog, getJson, isStatic, tablePath,
} from "./api";
import { clear, codeBlock, formatBytes, formatCount, h, uniqueId } from "./dom";
import { Grid } from "./grid";
import { qualitySection } from "./quality_section";
import { tableSnippets } from "./snippets";

const OPERATORS = ["eq", "ne", "lt", "lte", "gt", "gte", "in", "notin", "contains", "startswith",
  "endswith", "isnull", "notnull"];

interface Filter { column: string; op: string; value: string }
interface PageState { version: string; filters: Filter[]; sort: string; size: string }

export async function renderTable(main: HTMLElement, database: string, name: string,
                                  params: URLSearchParams): Promise<void> {
  const info = await catalog();
  const table = info.databases.find((d) => d.name === database)?.tables.find((t) => t.name === name);
  if (!table) throw new ApiError(404, "NotFound", `no table ${database}.${name} in the catalog`);
  clear(main);
  const state: PageState = {
    version: params.get("version") ?? "",
    filters: params.getAll("f").map(parseFilter).filter((f): f is Filter => f !== null),
    sort: params.get("sort") ?? "",
    size: params.get("size") ?? "50",
  };
  main.append(
    h("p", { class: "crumbs" }, h("a", { href: "#/" }, "Catalog"), " / ", database),
    h("h1", {}, `${database}.${name}`),
    h("p", { class: "description", id: "table-description" }, table.description || "No description."),
    summary(table),
  );
  const schemaSection = h("section", { "aria-labelledby": "schema-h" }, h("h2", { id: "schema-h" }, "Schema"));
  main.append(schemaSection);
  const snippetsSection = h("section", { "aria-labelledby": "snippets-h" },
    h("h2", { id: "snippets-h" }, "Use it"));
  if (isStatic) {
    schemaSection.append(schemaTable(table.schema ?? [], table.partitions ?? []));
    main.append(snippetsSection);
    for (const snippet of table.snippets ?? []) snippetsSection.append(codeBlock(snippet.label, snippet.text));
    return;
  }
  const historySection = h("section", { "aria-labelledby": "history-h" }, h("h2", { id: "history-h" }, "History"));
  const sampleSection = h("section", { "aria-labelledby": "sample-h" }, h("h2", { id: "sample-h" }, "Sample"));
  main.append(sampleSection, qualitySection(database, name), historySection, snippetsSection);

  const [schema, history] = await Promise.all([
    getJson<{ columns: Column[]; partitions: string[]; version: number }>(
      tablePath(database, name) + "/schema" + (state.version ? `?_version=${encodeURIComponent(state.version)}` : "")),
    getJson<{ commits: Commit[] }>(tablePath(database, name) + "/history?_size=100").catch(
      (error: ApiError) => ({ commits: [] as Commit[], error })),
  ]);
  schemaSection.append(schemaTable(schema.columns, schema.partitions));
  historySection.append(historyTable(history.commits));
  const rerender = () => {
    const query = new URLSearchParams();
    if (state.version) query.set("version", state.version);
    for (const f of state.filters) query.append("f", `${f.column}~${f.op}~${f.value}`);
    if (state.sort) query.set("sort", state.sort);
    if (state.size !== "50") query.set("size", state.size);
    const hash = `#/table/${encodeURIComponent(database)}/${encodeURIComponent(name)}` +
      (query.toString() ? "?" + query.toString() : "");
    window.history.replaceState(null, "", hash);
  };
  sample(sampleSection, snippetsSection, database, table, schema.columns, history.commits, state, rerender);
}

function parseFilter(text: string): Filter | null {
  const [column, op, ...rest] = text.split("~");
  if (!column || !op) return null;
  return { column, op, value: rest.join("~") };
}

function summary(table: TableInfo): HTMLElement {
  const item = (label: string, value: string) => h("div", {}, h("dt", {}, label), h("dd", {}, value));
  return h("dl", { class: "summary" },
    item("Kind", table.kind), item("Version", String(table.version ?? "–")),
    item("Rows", formatCount(table.rows)), item("Files", formatCount(table.files)),
    item("Size", formatBytes(table.bytes)),
    table.last_commit ? item("Last data write", table.last_commit.replace("T", " ").replace("Z", " UTC")) : null,
    item("Location", table.uri));
}

function schemaTable(columns: Column[], partitions: string[]): HTMLElement {
  return h("div", { class: "scroll-x" }, h("table", { class: "schema", id: "schema-table" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Column"), h("th", { scope: "col" }, "Type"),
      h("th", { scope: "col" }, "Partition"))),
    h("tbody", {}, ...columns.map((column) => h("tr", {},
      h("td", {}, h("code", {}, column.name)), h("td", {}, h("code", {}, column.type)),
      h("td", {}, partitions.includes(column.name) || column.partition ? h("span", { class: "tag" }, "partition") : ""))))));
}

function historyTable(commits: Commit[]): HTMLElement {
  if (!commits.length) return h("p", { class: "muted" }, "No history available.");
  const metric = (commit: Commit, ...names: string[]) => {
    for (const name of names) {
      const value = commit.metrics?.[name];
      if (value !== undefined && value !== null) return String(value);
    }
    return "";
  };
  return h("div", { class: "scroll-x" }, h("table", { class: "history", id: "history-table" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Version"), h("th", { scope: "col" }, "Time (UTC)"),
      h("th", { scope: "col" }, "Operation"), h("th", { scope: "col", class: "num" }, "Rows added"),
      h("th", { scope: "col", class: "num" }, "Rows removed"))),
    h("tbody", {}, ...commits.map((commit) => h("tr", {},
      h("td", {}, commit.version), h("td", {}, commit.timestamp.replace("T", " ").replace("Z", "")),
      h("td", {}, commit.operation ?? ""),
      h("td", { class: "num" }, metric(commit, "numOutputRows", "numAddedRows", "numCopiedRows")),
      h("td", { class: "num" }, metric(commit, "numDeletedRows", "numRemovedRows")))))));
}

function apiUrlFor(database: string, table: string, state: PageState): string {
  const query = new URLSearchParams();
  for (const f of state.filters) {
    if (!f.column) continue;
    const value = f.op === "isnull" || f.op === "notnull" ? f.value || "true" : f.value;
    query.append(f.op === "eq" ? f.column : `${f.column}__${f.op}`, value);
  }
  if (state.sort) query.set("_sort", state.sort);
  if (state.version) query.set("_version", state.version);
  query.set("_size", state.size || "50");
  return tablePath(database, table) + "?" + query.toString();
}

function fillSnippets(section: HTMLElement, database: string, table: TableInfo, apiUrl: string): void {
  while (section.children.length > 1) section.lastChild?.remove();
  const origin = apiBase();
  for (const snippet of tableSnippets(origin, database, table.name, table.uri, apiUrl)) {
    section.append(codeBlock(snippet.label, snippet.text));
  }
}

function sample(section: HTMLElement, snippets: HTMLElement, database: string, table: TableInfo,
                columns: Column[], commits: Commit[], state: PageState, remember: () => void): void {
  const versionId = uniqueId("version");
  const version = h("select", { id: versionId, name: "version" },
    h("option", { value: "" }, "latest"),
    ...commits.map((c) => h("option", { value: String(c.version) },
      `v${c.version} · ${c.operation ?? ""} · ${c.timestamp.slice(0, 19).replace("T", " ")}`)));
  version.value = state.version;
  const filtersBox = h("div", { class: "filters", id: "filters" });
  const sortId = uniqueId("sort");
  const sort = h("input", { id: sortId, value: state.sort, placeholder: "col or -col", size: 14 });
  const urlBox = h("code", { id: "sample-url", class: "url" });
  const status = h("p", { class: "muted", id: "sample-status", role: "status", "aria-live": "polite" });
  const gridHost = h("div", { class: "grid-host", id: "sample-grid" });
  const grid = new Grid(gridHost);
  let controller: AbortController | null = null;

  const load = async () => {
    remember();
    const url = apiUrlFor(database, table.name, state);
    urlBox.textContent = "GET " + url;
    fillSnippets(snippets, database, table, url);
    controller?.abort();
    controller = new AbortController();
    status.textContent = "Loading…";
    try {
      const answer = await getJson<QueryAnswer>(url, controller.signal);
      const names = answer.columns.map((c) => c.name);
      grid.show(answer.columns, answer.rows.map((row) => names.map((n) => (row as unknown as Record<string, unknown>)[n])));
      status.textContent = `${answer.rows.length} rows${answer.next ? " (more available)" : ""} · ` +
        `version ${answer.stats.version ?? "?"} · ${answer.stats.elapsed_ms.toFixed(1)} ms · ` +
        `${answer.stats.files_read} files read, ${answer.stats.files_pruned} pruned`;
    } catch (error) {
      if ((error as Error).name === "AbortError") return;
      grid.show([], []);
      status.textContent = `Error: ${(error as Error).message}`;
    }
  };
  const addFilter = (filter: Filter) => {
    const row = h("div", { class: "filter" });
    const columnId = uniqueId("fcol"), opId = uniqueId("fop"), valueId = uniqueId("fval");
    const column = h("select", { id: columnId }, ...columns.map((c) => h("option", { value: c.name }, c.name)));
    column.value = filter.column || columns[0]?.name || "";
    filter.column = column.value;
    const op = h("select", { id: opId }, ...OPERATORS.map((o) => h("option", { value: o }, o)));
    op.value = filter.op;
    const value = h("input", { id: valueId, value: filter.value, size: 12 });
    const remove = h("button", { type: "button", "aria-label": "Remove filter" }, "×");
    column.addEventListener("change", () => { filter.column = column.value; });
    op.addEventListener("change", () => { filter.op = op.value; });
    value.addEventListener("input", () => { filter.value = value.value; });
    remove.addEventListener("click", () => {
      state.filters.splice(state.filters.indexOf(filter), 1);
      row.remove();
      void load();
    });
    row.append(h("label", { for: columnId, class: "visually-hidden" }, "Filter column"), column,
      h("label", { for: opId, class: "visually-hidden" }, "Operator"), op,
      h("label", { for: valueId, class: "visually-hidden" }, "Value"), value, remove);
    filtersBox.append(row);
  };
  for (const filter of state.filters) addFilter(filter);
  const add = h("button", { type: "button", id: "add-filter" }, "Add filter");
  add.addEventListener("click", () => {
    const filter = { column: columns[0]?.name ?? "", op: "eq", value: "" };
    state.filters.push(filter);
    addFilter(filter);
    (filtersBox.lastElementChild?.querySelector("input") as HTMLInputElement | null)?.focus();
  });
  const form = h("form", { class: "sample-form", id: "sample-form" },
    h("div", { class: "row" },
      h("label", { for: versionId }, "Version"), version,
      h("label", { for: sortId }, "Sort"), sort),
    filtersBox,
    h("div", { class: "row" }, add, h("button", { type: "submit", id: "apply-filters" }, "Apply")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    state.sort = sort.value.trim();
    void load();
  });
  version.addEventListener("change", () => {
    state.version = version.value;
    void load();
  });
  section.append(form, h("p", { class: "api-call" }, "API call: ", urlBox), status, gridHost);
  void load();
}
