// Home: queue size by domain, auto-merge rate, decisions per day, oldest pending item.

import { gql } from "../api.js";
import { domainName, recordName } from "../shared.js";
import { h, pct, render as paint, when } from "../ui.js";

export const title = "Home";

const QUERY = `{
  stewardStats {
    queueSize autoMergeRate
    domains { domain pending priceConflicts autoMerged stewardMerged autoMergeRate }
    decisionsPerDay { day count }
    oldestPending { id kind domain score ageDays createdAt left { system key fields } right { system key fields } }
  }
}`;


export async function render() {
  const { stewardStats: s } = await gql(QUERY);
  const max = Math.max(1, ...s.decisionsPerDay.map((d) => d.count));
  const total = s.decisionsPerDay.reduce((n, d) => n + d.count, 0);
  const oldest = s.oldestPending;
  paint(
    h("h1", {}, "Overview"),
    h(
      "div",
      { class: "cards" },
      h("section", { class: "card", "aria-labelledby": "c-queue" },
        h("h2", { id: "c-queue" }, "Review queue"),
        h("p", { class: "big" }, h("a", { href: "#/queue" }, String(s.queueSize))),
        h("table", { class: "compact" },
          h("thead", {}, h("tr", {}, h("th", {}, "Domain"), h("th", { class: "num" }, "Matches"), h("th", { class: "num" }, "Price conflicts"))),
          h("tbody", {}, s.domains.map((d) =>
            h("tr", {},
              h("td", {}, h("a", { href: `#/queue?domain=${d.domain}` }, domainName(d.domain))),
              h("td", { class: "num" }, d.pending),
              h("td", { class: "num" }, d.priceConflicts)))))),
      h("section", { class: "card", "aria-labelledby": "c-rate" },
        h("h2", { id: "c-rate" }, "Auto-merge rate"),
        h("p", { class: "big" }, pct(s.autoMergeRate)),
        h("p", { class: "muted" }, "Of the records joined to others or waiting for review, the share the matcher joined alone."),
        h("ul", { class: "plain" }, s.domains.map((d) =>
          h("li", {}, `${domainName(d.domain)}: ${pct(d.autoMergeRate)} (${d.autoMerged} auto, ${d.stewardMerged} steward)`)))),
      h("section", { class: "card wide", "aria-labelledby": "c-days" },
        h("h2", { id: "c-days" }, `Decisions per day (${total} in 14 days)`),
        h("div", { class: "chart", role: "img", "aria-label": s.decisionsPerDay.map((d) => `${d.day}: ${d.count}`).join(", ") },
          s.decisionsPerDay.map((d) =>
            h("div", { class: "col", title: `${d.day}: ${d.count}` },
              h("span", { class: "count" }, d.count || ""),
              h("span", { class: "bar", style: `height:${Math.round((d.count / max) * 100)}%` }),
              h("span", { class: "day" }, d.day.slice(5)))))),
      h("section", { class: "card", "aria-labelledby": "c-oldest" },
        h("h2", { id: "c-oldest" }, "Oldest pending item"),
        oldest
          ? h("div", {},
              h("p", {}, h("a", { href: `#/item/${oldest.id}` }, `#${oldest.id}: ${recordName(oldest.left && oldest.left.fields)} / ${recordName(oldest.right && oldest.right.fields)}`)),
              h("p", { class: "muted" }, `${domainName(oldest.domain)} ${oldest.kind === "PRICE_CONFLICT" ? "price conflict" : "match"}, waiting since ${when(oldest.createdAt)} (${oldest.ageDays.toFixed(1)} days)`))
          : h("p", { class: "muted" }, "Nothing is waiting."),
      ),
    ),
  );
}
