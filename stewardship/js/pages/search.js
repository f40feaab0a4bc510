// Search golden customers or items (the API's fuzzy `search`).

import { gql } from "../api.js";
import { goldenName } from "../shared.js";
import { h, render as paint } from "../ui.js";

export const title = "Search";

const QUERY = `query Search($domain: Domain!, $text: String!) {
  search(domain: $domain, text: $text, first: 25) {
    score matchedOn
    record { id domain status values sourceRecords { system key } }
  }
}`;

export async function render({ query }) {
  const text = query.get("q") || "";
  const domain = query.get("domain") || "CUSTOMER";
  document.getElementById("search-box").value = text;
  document.getElementById("search-domain").value = domain;
  if (text.trim().length < 2) {
    paint(h("section", { class: "panel" }, h("h1", {}, "Search"), h("p", { class: "muted" }, "Type at least two characters in the search box (press /).")));
    return;
  }
  const { search } = await gql(QUERY, { domain, text });
  paint(
    h("h1", {}, `Search: “${text}”`, h("span", { class: "count" }, ` ${search.length} found`)),
    search.length
      ? h("table", { class: "list", id: "search-results" },
          h("thead", {}, h("tr", {}, ["Golden record", "Name", "Matched on", "Score", "Sources"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, search.map((hit) =>
            h("tr", {},
              h("td", {}, h("a", { href: `#/golden/${hit.record.id}` }, hit.record.id)),
              h("td", {}, goldenName(hit.record.values)),
              h("td", {}, hit.matchedOn.replaceAll("_", " ")),
              h("td", { class: "num" }, hit.score.toFixed(0)),
              h("td", { class: "small" }, hit.record.sourceRecords.map((s) => `${s.system}:${s.key}`).join(", "))))))
      : h("p", { class: "panel muted" }, "No golden record matches."),
  );
}
