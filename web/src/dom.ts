// Tiny DOM builder. Text is always set with textContent (never innerHTML), so catalog data such
// as descriptions containing <script> is shown as text.
export type Child = Node | string | number | null | undefined | false;
export type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") {
      element.addEventListener(name.replace(/^on/, ""), value);
    } else if (value === true) {
      element.setAttribute(name, "");
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

export function clear(element: Element): void {
  while (element.firstChild) element.removeChild(element.firstChild);
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return "–";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return (unit === 0 ? String(value) : value.toFixed(1)) + " " + units[unit];
}

export function formatCount(count: number | null | undefined): string {
  if (count === null || count === undefined) return "–";
  return count.toLocaleString("en-US");
}

let idCounter = 0;
export function uniqueId(prefix: string): string {
  idCounter++;
  return `${prefix}-${idCounter}`;
}

// A <pre> with a copy button; `label` names the block for screen readers.
export function codeBlock(label: string, text: string): HTMLElement {
  const code = h("code", {}, text);
  const copy = h("button", { type: "button", class: "copy", "aria-label": `Copy ${label}` }, "Copy");
  copy.addEventListener("click", () => {
    void navigator.clipboard?.writeText(text).then(() => { copy.textContent = "Copied"; },
      () => { copy.textContent = "Copy failed"; });
  });
  return h("figure", { class: "code" }, h("figcaption", {}, label, copy), h("pre", {}, code));
}
