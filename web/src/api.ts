// The UI's only backend: the query API of `neuralake serve` (docs/api.md), or, in the static
// catalog export, the catalog embedded as window.NEURALAKE_CATALOG by catalog.js.
export interface Column { name: string; type: string; partition?: boolean }
export interface TableInfo {
  name: string; kind: string; description: string; uri: string;
  version?: number; schema?: Column[]; partitions?: string[];
  files?: number; rows?: number | null; bytes?: number; error?: string;
  last_commit?: string | null;
  snippets?: { label: string; text: string }[];
}
export interface DatabaseInfo { name: string; tables: TableInfo[] }
export interface CatalogInfo { databases: DatabaseInfo[]; generated_at?: string; base_url?: string }
export interface QueryStats {
  elapsed_ms: number; version: number | null; files_read: number; files_pruned: number; bytes_read: number;
}
export interface QueryAnswer {
  columns: Column[]; rows: unknown[][]; truncated: boolean; next: string | null; stats: QueryStats;
}
export interface Commit {
  version: number; timestamp: string; operation: string | null;
  parameters?: Record<string, unknown>; metrics?: Record<string, unknown>;
}

declare global {
  interface Window { NEURALAKE_CATALOG?: CatalogInfo }
}

export const staticCatalog: CatalogInfo | undefined = window.NEURALAKE_CATALOG;
export const isStatic = staticCatalog !== undefined;

const KEY_STORAGE = "neuralake.key";

export class ApiError extends Error {
  constructor(public status: number, public code: string, message: string) {
    super(message);
  }
}

export function apiKey(): string | null {
  try {
    return sessionStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}

export function setApiKey(key: string | null): void {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
}

export function apiBase(): string {
  return location.origin;
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const key = apiKey();
  return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
}

let onUnauthorized: (message: string) => void = () => {};
export function setUnauthorizedHandler(handler: (message: string) => void): void {
  onUnauthorized = handler;
}

async function failure(response: Response): Promise<ApiError> {
  let code = "HTTP" + response.status;
  let message = response.statusText || `HTTP ${response.status}`;
  try {
    const body = await response.json();
    if (body && body.error) {
      code = String(body.error.code ?? code);
      message = String(body.error.message ?? message);
    }
  } catch {
    // not JSON: keep the status line
  }
  const error = new ApiError(response.status, code, message);
  if (response.status === 401) onUnauthorized(message);
  return error;
}

// Fetches a path of the API; throws ApiError for non-2xx answers (401 also opens the sign-in prompt).
export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(path, {
    ...init,
    headers: headers((init.headers as Record<string, string>) ?? {}),
  });
  if (!response.ok) throw await failure(response);
  return response;
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await request(path, { signal });
  return (await response.json()) as T;
}

export async function catalog(): Promise<CatalogInfo> {
  if (staticCatalog) return staticCatalog;
  return getJson<CatalogInfo>("/api/v1/catalog");
}

export async function runSql(sql: string, maxRows: number, signal: AbortSignal): Promise<QueryAnswer> {
  const response = await request("/api/v1/sql", {
    method: "POST",
    body: JSON.stringify({ sql, max_rows: maxRows, shape: "arrays" }),
    headers: { "Content-Type": "application/json" },
    signal,
  });
  return (await response.json()) as QueryAnswer;
}

// Downloads the answer to `sql` in `format` (csv or parquet) as a file named `name`.
export async function downloadSql(sql: string, format: "csv" | "parquet", name: string): Promise<void> {
  const response = await request("/api/v1/sql", {
    method: "POST",
    body: JSON.stringify({ sql, format }),
    headers: { "Content-Type": "application/json" },
  });
  saveBlob(await response.blob(), name);
}

export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function tablePath(database: string, table: string): string {
  return `/api/v1/tables/${encodeURIComponent(database)}/${encodeURIComponent(table)}`;
}
