// The catalog page: every database and table with search-as-you-type.
import { CatalogInfo, TableInfo, catalog, isStatic, staticCatalog } from "./api";
import { append, clear, formatBytes, formatCount, h } from "./dom";

interface Entry { database: string; table: TableInfo; row: HTMLTableRowElement; haystack: string }

export async function renderCatalog(main: HTMLElement, query: string): Promise<void> {
  const info: CatalogInfo = await catalog();
  clear(main);
  const total = info.databases.reduce((sum, database) => sum + database.tables.length, 0);
  const search = h("input", {
    id: "catalog-search", type: "search", placeholder: "Search tables, columns, descriptions",
    autocomplete: "off", value: query,
  });
  const count = h("p", { class: "muted", id: "catalog-count", role: "status", "aria-live": "polite" });
  const body = h("tbody");
  const entries: Entry[] = [];
  for (const database of info.databases) {
    for (const table of database.tables) {
      const row = tableRow(database.name, table);
      body.appendChild(row);
      const columns = (table.schema ?? []).map((column) => column.name).join(" ");
      entries.push({
        database: database.name, table, row,
        haystack: `${database.name}.${table.name} ${table.kind} ${table.description} ${columns}`.toLowerCase(),
      });
    }
  }
  const apply = () => {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const entry of entries) {
      const match = words.every((word) => entry.haystack.includes(word));
      entry.row.hidden = !match;
      if (match) shown++;
    }
    count.textContent = `${shown} of ${total} tables in ${info.databases.length} databases`;
    const hash = search.value ? `#/?q=${encodeURIComponent(search.value)}` : "#/";
    if (location.hash !== hash && !(hash === "#/" && location.hash === "")) history.replaceState(null, "", hash);
  };
  search.addEventListener("input", apply);
  append(main,
    h("h1", {}, "Catalog"),
    isStatic ? h("p", { class: "muted" }, "Static export",
      staticCatalog?.generated_at ? ` generated ${staticCatalog.generated_at}` : "",
      ". Schemas and snippets only; run `neuralake serve` to query.") : null,
    h("div", { class: "searchbar" }, h("label", { for: "catalog-search" }, "Search"), search),
    count,
    h("div", { class: "scroll-x" },
      h("table", { class: "catalog", id: "catalog-table" },
        h("caption", { class: "visually-hidden" }, "Tables"),
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, "Table"), h("th", { scope: "col" }, "Kind"),
          h("th", { scope: "col" }, "Description"), h("th", { scope: "col", class: "num" }, "Rows"),
          h("th", { scope: "col", class: "num" }, "Files"), h("th", { scope: "col", class: "num" }, "Size"),
          h("th", { scope: "col", class: "num" }, "Version"))),
        body)),
  );
  apply();
}

function tableRow(database: string, table: TableInfo): HTMLTableRowElement {
  const href = `#/table/${encodeURIComponent(database)}/${encodeURIComponent(table.name)}`;
  const description = table.error
    ? h("span", { class: "error-text" }, "unreadable: ", table.error)
    : h("span", {}, table.description || "");
  const deprecated = /deprecated/i.test(table.description) ? h("span", { class: "tag warn" }, "deprecated") : null;
  return h("tr", { "data-table": `${database}.${table.name}` },
    h("td", {}, h("a", { href, class: "table-link" }, h("span", { class: "muted" }, database, "."), table.name)),
    h("td", {}, h("span", { class: "tag" }, table.kind)),
    h("td", { class: "description" }, deprecated, description),
    h("td", { class: "num" }, formatCount(table.rows)),
    h("td", { class: "num" }, formatCount(table.files)),
    h("td", { class: "num" }, formatBytes(table.bytes)),
    h("td", { class: "num" }, table.version ?? "–"));
}
