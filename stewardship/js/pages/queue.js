// The review queue: filters, the prioritized list, keyboard navigation.
// j / k (or n) move, Enter opens, m merges, x marks not-a-match.

import { gql } from "../api.js";
import { acknowledgeConflict, domainName, mergeCandidate, notAMatch, queueOrder, recordName, sourceLabel } from "../shared.js";
import { h, pct, render as paint } from "../ui.js";

export const title = "Review queue";

const QUERY = `query Queue($filter: ReviewQueueFilter, $first: Int!) {
  reviewQueue(filter: $filter, first: $first) {
    total
    items {
      id kind domain score priority ageDays
      left { system key fields } right { system key fields }
    }
  }
}`;

let state = { items: [], selected: 0, go: null, query: null };

function filterFrom(query) {
  const filter = {};
  if (query.get("domain")) filter.domain = query.get("domain");
  if (query.get("kind")) filter.kind = query.get("kind");
  if (query.get("system")) filter.sourceSystem = query.get("system");
  if (query.get("min")) filter.minScore = Number(query.get("min"));
  if (query.get("max")) filter.maxScore = Number(query.get("max"));
  return filter;
}

function select(name, label, value, options) {
  return h("label", { class: "field inline" }, label,
    h("select", { name }, options.map(([v, text]) => h("option", { value: v, selected: v === value }, text))));
}

function filters(query, go) {
  const form = h(
    "form",
    { class: "filters", "aria-label": "Filter the queue", onsubmit: (event) => {
      event.preventDefault();
      const params = new URLSearchParams();
      for (const [k, v] of new FormData(form).entries()) if (String(v).trim()) params.set(k, String(v).trim());
      go(`/queue?${params}`);
    } },
    select("domain", "Domain", query.get("domain") || "", [["", "All"], ["CUSTOMER", "Customer"], ["ITEM", "Item"], ["PRICE", "Price"]]),
    select("kind", "Kind", query.get("kind") || "", [["", "All"], ["MATCH", "Match"], ["PRICE_CONFLICT", "Price conflict"]]),
    h("label", { class: "field inline" }, "Source", h("input", { name: "system", value: query.get("system") || "", size: 6, placeholder: "ERP" })),
    h("label", { class: "field inline" }, "Score from", h("input", { name: "min", type: "number", min: 0, max: 1, step: 0.01, value: query.get("min") || "" })),
    h("label", { class: "field inline" }, "to", h("input", { name: "max", type: "number", min: 0, max: 1, step: 0.01, value: query.get("max") || "" })),
    h("button", { type: "submit" }, "Apply"),
  );
  return form;
}

function row(item, index) {
  return h(
    "tr",
    { tabindex: 0, "data-id": item.id, "aria-selected": String(index === state.selected),
      onclick: () => state.go(`/item/${item.id}`), onfocus: () => choose(index, false) },
    h("td", { class: "num" }, h("a", { href: `#/item/${item.id}`, tabindex: -1 }, `#${item.id}`)),
    h("td", {}, h("span", { class: `tag ${item.kind === "MATCH" ? "" : "warn"}` }, item.kind === "MATCH" ? "match" : "price"), " ", domainName(item.domain)),
    h("td", { class: "num" }, item.score === null ? "—" : h("span", { class: "score" }, h("span", { class: "bar", style: `width:${Math.round(item.score * 50)}px` }), pct(item.score))),
    h("td", { class: "num" }, item.priority.toFixed(2)),
    h("td", {}, h("div", { class: "name" }, recordName(item.left && item.left.fields)), h("div", { class: "muted" }, sourceLabel(item.left))),
    h("td", {}, h("div", { class: "name" }, recordName(item.right && item.right.fields)), h("div", { class: "muted" }, sourceLabel(item.right))),
    h("td", { class: "num" }, `${item.ageDays.toFixed(1)} d`),
  );
}

function choose(index, focus = true) {
  if (!state.items.length) return;
  state.selected = Math.max(0, Math.min(index, state.items.length - 1));
  document.querySelectorAll("#queue-table tbody tr").forEach((tr, i) => tr.setAttribute("aria-selected", String(i === state.selected)));
  const tr = document.querySelectorAll("#queue-table tbody tr")[state.selected];
  if (focus && tr && document.activeElement !== tr) tr.focus();
}

export async function render({ query }, { go }) {
  const filter = filterFrom(query);
  const { reviewQueue } = await gql(QUERY, { filter, first: 100 });
  const keep = state.query === query.toString() ? state.selected : 0;
  state = { items: reviewQueue.items, selected: Math.min(keep, Math.max(reviewQueue.items.length - 1, 0)), go, query: query.toString() };
  queueOrder.set(state.items.map((i) => i.id), query.toString());
  paint(
    h("div", { class: "page-head" },
      h("h1", {}, "Review queue ", h("span", { class: "count", id: "queue-total" }, `${reviewQueue.total} pending`)),
      h("p", { class: "keys muted" }, h("kbd", {}, "j"), "/", h("kbd", {}, "k"), " move · ", h("kbd", {}, "Enter"), " compare · ", h("kbd", {}, "m"), " merge · ", h("kbd", {}, "x"), " not a match")),
    filters(query, go),
    state.items.length
      ? h("table", { class: "list", id: "queue-table" },
          h("thead", {}, h("tr", {}, ["Item", "Kind", "Score", "Priority", "Left record", "Right record", "Age"].map((t, i) => h("th", { class: [0, 2, 3, 6].includes(i) ? "num" : "" }, t)))),
          h("tbody", {}, state.items.map(row)))
      : h("p", { class: "panel muted" }, "Nothing pending matches this filter."),
  );
  choose(state.selected);
}

async function act(fn) {
  const item = state.items[state.selected];
  if (!item) return;
  const done = await fn(item);
  if (done) await render({ query: new URLSearchParams(state.query) }, { go: state.go });
}

export function keys(event) {
  const item = state.items[state.selected];
  switch (event.key) {
    case "j":
    case "n":
    case "ArrowDown":
      event.preventDefault();
      choose(state.selected + 1);
      break;
    case "k":
    case "ArrowUp":
      event.preventDefault();
      choose(state.selected - 1);
      break;
    case "Enter":
    case "o":
      if (item) state.go(`/item/${item.id}`);
      break;
    case "m":
      if (item) act(item.kind === "MATCH" ? mergeCandidate : acknowledgeConflict);
      break;
    case "x":
      if (item && item.kind === "MATCH") act(notAMatch);
      break;
  }
}
