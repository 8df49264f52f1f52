// The status page: the server's Prometheus metrics in readable form and table sizes as a chart.
import { CatalogInfo, catalog, request } from "./api";
import { clear, formatBytes, formatCount, h } from "./dom";

interface Sample { name: string; labels: string; value: number }
interface Family { name: string; help: string; samples: Sample[] }

export function parseMetrics(text: string): Family[] {
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let found = families.get(name);
    if (!found) families.set(name, found = { name, help: "", samples: [] });
    return found;
  };
  for (const line of text.split("\n")) {
    const help = /^# HELP (\S+) (.*)$/.exec(line);
    if (help) {
      family(help[1]).help = help[2];
      continue;
    }
    const sample = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!sample) continue;
    const base = sample[1].replace(/_(bucket|sum|count)$/, "");
    const owner = families.has(sample[1]) ? sample[1] : base;
    family(owner).samples.push({ name: sample[1], labels: sample[2] ?? "", value: Number(sample[3]) });
  }
  return [...families.values()];
}

function value(families: Family[], name: string, labels = ""): number | undefined {
  for (const f of families) {
    for (const s of f.samples) if (s.name === name && s.labels === labels) return s.value;
  }
  return undefined;
}

// Horizontal bars, one per table, largest first (at most `limit`).
export function sizeChart(info: CatalogInfo, limit = 20): SVGSVGElement {
  const tables = info.databases.flatMap((d) => d.tables.map((t) => ({ name: `${d.name}.${t.name}`, bytes: t.bytes ?? 0 })))
    .sort((a, b) => b.bytes - a.bytes).slice(0, limit);
  const ns = "http://www.w3.org/2000/svg";
  const bar = 18, gap = 6, labelWidth = 220, width = 640;
  const svg = document.createElementNS(ns, "svg");
  const height = Math.max(1, tables.length) * (bar + gap);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `Table sizes, largest ${tables.length} tables`);
  svg.setAttribute("class", "chart");
  svg.setAttribute("id", "size-chart");
  const largest = Math.max(1, ...tables.map((t) => t.bytes));
  tables.forEach((table, index) => {
    const y = index * (bar + gap);
    const label = document.createElementNS(ns, "text");
    label.setAttribute("x", String(labelWidth - 6));
    label.setAttribute("y", String(y + bar * 0.75));
    label.setAttribute("text-anchor", "end");
    label.textContent = table.name.length > 30 ? table.name.slice(0, 29) + "…" : table.name;
    const rect = document.createElementNS(ns, "rect");
    const w = Math.max(1, ((width - labelWidth - 90) * table.bytes) / largest);
    rect.setAttribute("x", String(labelWidth));
    rect.setAttribute("y", String(y));
    rect.setAttribute("width", String(w));
    rect.setAttribute("height", String(bar));
    const title = document.createElementNS(ns, "title");
    title.textContent = `${table.name}: ${formatBytes(table.bytes)}`;
    rect.append(title);
    const amount = document.createElementNS(ns, "text");
    amount.setAttribute("x", String(labelWidth + w + 6));
    amount.setAttribute("y", String(y + bar * 0.75));
    amount.textContent = formatBytes(table.bytes);
    svg.append(label, rect, amount);
  });
  return svg;
}

export async function renderStatus(main: HTMLElement): Promise<void> {
  const [metricsText, info] = await Promise.all([
    request("/metrics").then((r) => r.text()),
    catalog(),
  ]);
  const families = parseMetrics(metricsText);
  clear(main);
  const requests = families.find((f) => f.name === "neuralake_http_requests_total")?.samples ?? [];
  const total = requests.reduce((sum, s) => sum + s.value, 0);
  const count = value(families, "neuralake_http_request_duration_seconds_count") ?? 0;
  const sum = value(families, "neuralake_http_request_duration_seconds_sum") ?? 0;
  const item = (label: string, text: string) => h("div", {}, h("dt", {}, label), h("dd", {}, text));
  const tables = info.databases.reduce((n, d) => n + d.tables.length, 0);
  const bytes = info.databases.reduce((n, d) => n + d.tables.reduce((m, t) => m + (t.bytes ?? 0), 0), 0);
  main.append(
    h("h1", {}, "Status"),
    h("dl", { class: "summary", id: "status-summary" },
      item("Requests", formatCount(total)),
      ...requests.map((s) => item(`Status ${s.labels.replace(/[{}"]|code=/g, "")}`, formatCount(s.value))),
      item("Mean latency", count ? `${((sum / count) * 1000).toFixed(1)} ms` : "–"),
      item("Errors", formatCount(value(families, "neuralake_http_errors_total"))),
      item("Bytes sent", formatBytes(value(families, "neuralake_http_response_bytes_total"))),
      item("Rows returned", formatCount(value(families, "neuralake_rows_returned_total"))),
      item("Queue depth", formatCount(value(families, "neuralake_queue_depth"))),
      item("Open connections", formatCount(value(families, "neuralake_open_connections"))),
      item("Tables", formatCount(tables)), item("Lake size", formatBytes(bytes))),
    h("h2", {}, "Table sizes"), sizeChart(info),
    h("h2", {}, "All metrics"),
    h("div", { class: "scroll-x" }, h("table", { class: "metrics", id: "metrics-table" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Metric"), h("th", { scope: "col" }, "Labels"),
        h("th", { scope: "col", class: "num" }, "Value"))),
      h("tbody", {}, ...families.flatMap((f) => f.samples.map((s) => h("tr", {},
        h("td", { title: f.help }, s.name), h("td", {}, h("code", {}, s.labels)),
        h("td", { class: "num" }, Number.isInteger(s.value) ? formatCount(s.value) : s.value.toFixed(4)))))))),
  );
}
