// The steward console: a hash router over pages, sign-in, global keys.
// Pages are modules exporting `title`, `render(params, ctx)` and optionally
// `keys(event)`; they talk to the hub only through GraphQL (api.js).

import { gql, session } from "./api.js";
import { h, modalOpen, render } from "./ui.js";
import * as home from "./pages/home.js";
import * as queue from "./pages/queue.js";
import * as compare from "./pages/compare.js";
import * as golden from "./pages/golden.js";
import * as search from "./pages/search.js";
import * as decisions from "./pages/decisions.js";
import * as signin from "./pages/signin.js";

const ROUTES = [
  [/^\/$/, home, "home"],
  [/^\/queue$/, queue, "queue"],
  [/^\/item\/(\d+)$/, compare, "queue"],
  [/^\/golden\/([^/]+)$/, golden, ""],
  [/^\/search$/, search, ""],
  [/^\/decisions$/, decisions, "decisions"],
];

let current = null;

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = raw.split("?");
  return { path, query: new URLSearchParams(query) };
}

export function go(path) {
  location.hash = `#${path}`;
}

async function route() {
  const header = document.querySelector("header.top");
  if (!session.key) {
    header.hidden = true;
    current = signin;
    await signin.render({}, { onSignedIn: startSession });
    return;
  }
  header.hidden = false;
  const { path, query } = parseHash();
  for (const [pattern, page, nav] of ROUTES) {
    const found = path.match(pattern);
    if (!found) continue;
    current = page;
    document.querySelectorAll("[data-nav]").forEach((a) => a.toggleAttribute("aria-current", a.dataset.nav === nav));
    document.title = `${page.title} · MDM steward console`;
    render(h("p", { class: "loading" }, "Loading…"));
    try {
      await page.render({ match: found.slice(1).map(decodeURIComponent), query }, { go });
    } catch (err) {
      console.error(err);
      if (err.code === "UNAUTHENTICATED") {
        session.key = null;
        return route();
      }
      render(h("section", { class: "panel" }, h("h1", {}, "Something went wrong"), h("p", { class: "error" }, err.message)));
    }
    document.getElementById("main").focus({ preventScroll: true });
    return;
  }
  render(h("section", { class: "panel" }, h("h1", {}, "Not found"), h("p", {}, h("a", { href: "#/" }, "Home"))));
}

async function startSession(me) {
  document.getElementById("who").textContent = `${me.name || me.prefix} · ${me.role}`;
  if (!location.hash || location.hash === "#") location.hash = "#/";
  await route();
}

function onKey(event) {
  if (modalOpen() || event.ctrlKey || event.metaKey || event.altKey) return;
  const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName);
  if (typing) return;
  if (event.key === "/" && session.key) {
    event.preventDefault();
    document.getElementById("search-box").focus();
    return;
  }
  if (current && current.keys) current.keys(event);
}

async function boot() {
  document.getElementById("sign-out").addEventListener("click", () => {
    session.key = null;
    location.hash = "#/";
    route();
  });
  document.getElementById("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = document.getElementById("search-box").value.trim();
    const domain = document.getElementById("search-domain").value;
    if (text) go(`/search?domain=${domain}&q=${encodeURIComponent(text)}`);
  });
  document.addEventListener("keydown", onKey);
  window.addEventListener("hashchange", route);
  if (session.key) {
    try {
      const { me } = await gql("{ me { role name prefix } }");
      document.getElementById("who").textContent = `${me.name || me.prefix} · ${me.role}`;
    } catch {
      session.key = null;
    }
  }
  await route();
}

boot();
