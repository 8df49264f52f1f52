// Hash routing: #/ (catalog, ?q=search), #/table/DB/TABLE, #/sql, #/status. A 401 from the API
// opens the sign-in prompt; the key is kept in sessionStorage.
import { ApiError, apiKey, isStatic, setApiKey, setUnauthorizedHandler } from "./api";
import { renderCatalog } from "./catalog_page";
import { renderConsole } from "./console_page";
import { clear, h } from "./dom";
import { renderStatus } from "./status_page";
import { renderTable } from "./table_page";

const main = document.getElementById("main") as HTMLElement;
const dialog = document.getElementById("signin") as HTMLDialogElement;
const signout = document.getElementById("signout") as HTMLButtonElement;

function route(): { page: string; parts: string[]; params: URLSearchParams } {
  const hash = location.hash.replace(/^#\/?/, "");
  const [path, query] = hash.split("?", 2);
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { page: parts[0] ?? "", parts: parts.slice(1), params: new URLSearchParams(query ?? "") };
}

let rendering = 0;
async function render(): Promise<void> {
  const ticket = ++rendering;
  const { page, parts, params } = route();
  for (const link of document.querySelectorAll<HTMLAnchorElement>("nav a")) {
    const current = link.dataset.nav === (page || "catalog") || (page === "table" && link.dataset.nav === "catalog");
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  signout.hidden = isStatic || !apiKey();
  try {
    if (page === "table" && parts.length >= 2) {
      await renderTable(main, parts[0], parts[1], params);
    } else if (page === "sql" && !isStatic) {
      renderConsole(main, params.get("q") ?? "");
    } else if (page === "status" && !isStatic) {
      await renderStatus(main);
    } else {
      await renderCatalog(main, params.get("q") ?? "");
    }
    document.title = (main.querySelector("h1")?.textContent ?? "") + " · Neuralake";
  } catch (error) {
    if (ticket !== rendering) return;
    clear(main);
    const api = error instanceof ApiError ? error : null;
    main.append(h("h1", {}, api?.status === 401 ? "Sign in required" : "Something went wrong"),
      h("p", { class: "error-text", id: "page-error" },
        api ? `${api.status} ${api.code}: ${api.message}` : String((error as Error).message ?? error)));
    if (api?.status === 401) {
      const again = h("button", { type: "button", id: "signin-again", class: "primary" }, "Sign in");
      again.addEventListener("click", () => openSignIn(api.message));
      main.append(again);
    }
  }
}

function openSignIn(reason: string): void {
  const text = document.getElementById("signin-reason") as HTMLElement;
  text.textContent = apiKey() ? `The key was refused (${reason}). Enter another API key.`
    : "This server needs an API key (Authorization: Bearer).";
  if (!dialog.open) dialog.showModal();
  (document.getElementById("signin-key") as HTMLInputElement).focus();
}

function setup(): void {
  if (isStatic) document.body.classList.add("static");
  setUnauthorizedHandler(openSignIn);
  (document.getElementById("signin-form") as HTMLFormElement).addEventListener("submit", () => {
    const input = document.getElementById("signin-key") as HTMLInputElement;
    setApiKey(input.value.trim());
    input.value = "";
    void render();
  });
  signout.addEventListener("click", () => {
    setApiKey(null);
    void render();
  });
  window.addEventListener("hashchange", () => void render());
  void render();
}

setup();
