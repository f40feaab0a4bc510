// Recent steward decisions, each with its undo.

import { gql } from "../api.js";
import { domainName, undoDecision } from "../shared.js";
import { h, render as paint, when } from "../ui.js";

export const title = "Decisions";

const QUERY = `{ stewardDecisions(first: 100) { id kind domain actor reason createdAt undoneBy payload } }`;

function subject(d) {
  const p = d.payload || {};
  if (p.golden_id) return h("a", { href: `#/golden/${p.golden_id}` }, `${p.golden_id}.${p.attribute}`);
  if (p.from) return h("a", { href: `#/golden/${p.from}` }, `record #${p.record_id} from ${p.from}`);
  if (p.undoes) return `decision #${p.undoes}`;
  if (p.candidates) return p.candidates.slice(0, 5).map((c) => h("a", { href: `#/item/${c}` }, `#${c} `)).concat(p.candidates.length > 5 ? [`+${p.candidates.length - 5}`] : []);
  return "";
}

export async function render() {
  const { stewardDecisions: list } = await gql(QUERY);
  paint(
    h("h1", {}, "Steward decisions"),
    list.length
      ? h("table", { class: "list", id: "decisions" },
          h("thead", {}, h("tr", {}, ["#", "Decision", "Subject", "By", "When", "Reason", ""].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, list.map((d) =>
            h("tr", { "data-decision": d.id, class: d.undoneBy ? "undone" : "" },
              h("td", { class: "num" }, d.id),
              h("td", {}, d.kind.replaceAll("_", " "), h("div", { class: "muted small" }, domainName(d.domain))),
              h("td", { class: "small" }, subject(d)),
              h("td", { class: "small" }, d.actor),
              h("td", { class: "small" }, when(d.createdAt)),
              h("td", { class: "small" }, d.reason || "—"),
              h("td", { class: "row-actions" },
                d.undoneBy ? h("span", { class: "muted small" }, `undone by #${d.undoneBy}`)
                  : d.kind === "undo" ? null
                  : h("button", { type: "button", class: "small", onclick: async () => { if (await undoDecision(d)) await render(); } }, "Undo"))))))
      : h("p", { class: "panel muted" }, "No decisions yet."),
  );
}
