// A virtualized result grid: only the rows in view (plus a margin) exist in the DOM, so 10,000
// or 1,000,000 rows render at once. Rows have a fixed height; columns a width from their header
// and first rows. Cells are text (textContent).
import { Column } from "./api";
import { clear, h } from "./dom";

const ROW_HEIGHT = 26;
const OVERSCAN = 10;

export function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export class Grid {
  private columns: Column[] = [];
  private rows: unknown[][] = [];
  private widths: number[] = [];
  private readonly viewport: HTMLDivElement;
  private readonly header: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private readonly body: HTMLDivElement;
  private first = -1;
  private last = -1;

  constructor(host: HTMLElement, label = "Result rows") {
    this.header = h("div", { class: "grid-header", role: "row" });
    this.spacer = h("div", { class: "grid-spacer" });
    this.body = h("div", { class: "grid-body", role: "rowgroup" });
    this.viewport = h("div", { class: "grid-viewport", tabindex: 0, role: "grid", "aria-label": label },
      this.header, this.spacer);
    this.spacer.append(this.body);
    this.viewport.addEventListener("scroll", () => this.paint(false), { passive: true });
    this.viewport.addEventListener("keydown", (event) => this.key(event));
    clear(host);
    host.append(this.viewport);
  }

  get rowCount(): number { return this.rows.length; }

  show(columns: Column[], rows: unknown[][]): void {
    this.columns = columns;
    this.rows = rows;
    this.widths = columns.map((column, index) => {
      let longest = Math.max(column.name.length, column.type.length);
      // The first rows and a spread of later ones (cheap even for a million rows).
      const step = Math.max(1, Math.floor(rows.length / 100));
      for (let r = 0; r < rows.length && r < 50 + 100 * step; r += r < 50 ? 1 : step) {
        longest = Math.max(longest, cellText(rows[r][index]).length);
      }
      return Math.min(360, Math.max(70, longest * 8 + 18));
    });
    const total = this.widths.reduce((a, b) => a + b, 0);
    clear(this.header);
    this.header.style.width = total + "px";
    columns.forEach((column, index) => {
      this.header.append(h("div", { class: "grid-cell grid-head", role: "columnheader", style: `width:${this.widths[index]}px` },
        h("span", { class: "col-name" }, column.name), h("span", { class: "col-type" }, column.type)));
    });
    this.spacer.style.height = rows.length * ROW_HEIGHT + "px";
    this.spacer.style.width = total + "px";
    this.viewport.setAttribute("aria-rowcount", String(rows.length + 1));
    this.viewport.scrollTop = 0;
    this.paint(true);
  }

  private paint(force: boolean): void {
    const top = this.viewport.scrollTop;
    const height = this.viewport.clientHeight || 400;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.rows.length, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
    if (!force && first === this.first && last === this.last) return;
    this.first = first;
    this.last = last;
    const fragment = document.createDocumentFragment();
    for (let r = first; r < last; r++) {
      const row = h("div", { class: "grid-row", role: "row", "aria-rowindex": r + 2, style: `top:${r * ROW_HEIGHT}px` });
      const values = this.rows[r];
      for (let c = 0; c < this.columns.length; c++) {
        const value = values[c];
        const cell = h("div", { class: value === null || value === undefined ? "grid-cell null" : "grid-cell",
          role: "gridcell", style: `width:${this.widths[c]}px` }, value === null || value === undefined ? "null" : cellText(value));
        row.append(cell);
      }
      fragment.append(row);
    }
    clear(this.body);
    this.body.append(fragment);
  }

  private key(event: KeyboardEvent): void {
    const page = Math.max(1, Math.floor(this.viewport.clientHeight / ROW_HEIGHT) - 1) * ROW_HEIGHT;
    const moves: Record<string, number> = {
      ArrowDown: ROW_HEIGHT, ArrowUp: -ROW_HEIGHT, PageDown: page, PageUp: -page,
      Home: -Infinity, End: Infinity,
    };
    const move = moves[event.key];
    if (move === undefined) return;
    event.preventDefault();
    if (move === Infinity) this.viewport.scrollTop = this.viewport.scrollHeight;
    else if (move === -Infinity) this.viewport.scrollTop = 0;
    else this.viewport.scrollTop += move;
  }

  // Scrolls so that row `index` (0-based) is at the top; for tests and "go to row".
  scrollToRow(index: number): void {
    this.viewport.scrollTop = index * ROW_HEIGHT;
    this.paint(false);
  }

  firstVisibleRow(): number { return Math.floor(this.viewport.scrollTop / ROW_HEIGHT); }
}
