// A textarea with SQL highlighting: the text is drawn by a <pre> under a transparent textarea
// (so editing, selection, undo and accessibility stay the browser's own).
import { h } from "./dom";

const KEYWORDS = new Set(("select from where and or not in is null as by group order having limit offset join " +
  "left right full inner outer cross on using union all distinct case when then else end with asc desc " +
  "between like ilike exists count sum avg min max cast true false over partition window qualify " +
  "interval date timestamp values describe show explain").split(" "));

// Splits SQL into [kind, text] tokens: keyword, string, number, comment, ident, other.
export function tokenize(sql: string): [string, string][] {
  const tokens: [string, string][] = [];
  const pattern = /(--[^\n]*|\/\*[\s\S]*?(?:\*\/|$))|('(?:[^']|'')*'?)|("(?:[^"]|"")*"?)|(\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b)|([A-Za-z_][A-Za-z0-9_]*)|(\s+|.)/gy;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(sql)) !== null && match[0].length > 0) {
    if (match[1]) tokens.push(["comment", match[1]]);
    else if (match[2]) tokens.push(["string", match[2]]);
    else if (match[3]) tokens.push(["ident", match[3]]);
    else if (match[4]) tokens.push(["number", match[4]]);
    else if (match[5]) tokens.push([KEYWORDS.has(match[5].toLowerCase()) ? "keyword" : "ident", match[5]]);
    else tokens.push(["other", match[6]]);
  }
  return tokens;
}

export class SqlEditor {
  readonly textarea: HTMLTextAreaElement;
  private readonly code: HTMLElement;
  readonly element: HTMLElement;

  constructor(id: string, initial: string) {
    this.textarea = h("textarea", { id, class: "sql-input", spellcheck: "false", autocapitalize: "off",
      autocomplete: "off", rows: 8 });
    this.textarea.value = initial;
    this.code = h("code", {});
    const pre = h("pre", { class: "sql-highlight", "aria-hidden": "true" }, this.code);
    this.element = h("div", { class: "sql-editor" }, pre, this.textarea);
    this.textarea.addEventListener("input", () => this.paint());
    this.textarea.addEventListener("scroll", () => {
      pre.scrollTop = this.textarea.scrollTop;
      pre.scrollLeft = this.textarea.scrollLeft;
    });
    this.paint();
  }

  get value(): string { return this.textarea.value; }
  set value(text: string) {
    this.textarea.value = text;
    this.paint();
  }

  // Puts the caret at 1-based (line, column) and focuses the editor.
  placeCaret(line: number, column: number): void {
    const lines = this.textarea.value.split("\n");
    let offset = 0;
    for (let i = 0; i < Math.min(line - 1, lines.length); i++) offset += lines[i].length + 1;
    offset += Math.max(0, column - 1);
    this.textarea.focus();
    this.textarea.setSelectionRange(offset, offset);
  }

  private paint(): void {
    const fragment = document.createDocumentFragment();
    for (const [kind, text] of tokenize(this.textarea.value)) {
      fragment.append(kind === "other" || kind === "ident" ? document.createTextNode(text)
        : h("span", { class: `tok-${kind}` }, text));
    }
    fragment.append(document.createTextNode("\n"));  // keeps the last line's height
    this.code.replaceChildren(fragment);
  }
}
