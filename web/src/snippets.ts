// Copy-paste code for one table: curl, Python (requests/pandas), Polars, DuckDB, the CLI and SQL.
export interface Snippet { label: string; text: string }

function pyString(text: string): string {
  return JSON.stringify(text);
}

function shellQuote(text: string): string {
  return "'" + text.replace(/'/g, "'\\''") + "'";
}

// `apiUrl` is the table route with its query (filters, version) as the page shows it.
export function tableSnippets(base: string, database: string, table: string, uri: string,
                              apiUrl: string): Snippet[] {
  const qualified = `${database}.${table}`;
  const url = base + apiUrl;
  const csvUrl = url + (url.includes("?") ? "&" : "?") + "_format=csv";
  const parquetUrl = url + (url.includes("?") ? "&" : "?") + "_format=parquet";
  const ndjsonUrl = url + (url.includes("?") ? "&" : "?") + "_format=ndjson";
  return [
    { label: "curl", text: `curl -s ${shellQuote(url)}\ncurl -s ${shellQuote(csvUrl)} > ${table}.csv` },
    {
      label: "Python (requests + pandas)",
      text: [
        "import io, requests, pandas as pd",
        `page = requests.get(${pyString(url)}).json()`,
        `df = pd.read_parquet(io.BytesIO(requests.get(${pyString(parquetUrl)}).content))`,
      ].join("\n"),
    },
    {
      label: "Polars",
      text: [
        "import io, requests, polars as pl",
        `df = pl.read_ndjson(io.BytesIO(requests.get(${pyString(ndjsonUrl)}).content))`,
        `# or straight from the lake: pl.scan_delta(${pyString(uri)})`,
      ].join("\n"),
    },
    {
      label: "DuckDB",
      text: [
        "INSTALL delta; LOAD delta;",
        `SELECT * FROM delta_scan(${sqlString(uri)}) LIMIT 10;`,
      ].join("\n"),
    },
    {
      label: "neuralake CLI",
      text: [
        `neuralake table read ${shellQuote(uri)} --limit 10`,
        `neuralake sql ${shellQuote(`SELECT count(*) FROM ${qualified}`)}`,
      ].join("\n"),
    },
    { label: "SQL", text: `SELECT *\nFROM ${qualified}\nLIMIT 100;` },
  ];
}

function sqlString(text: string): string {
  return "'" + text.replace(/'/g, "''") + "'";
}
