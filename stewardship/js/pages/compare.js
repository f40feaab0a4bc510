// One review item: both records side by side with the comparison level and
// weight per field, the score waterfall, and the golden record a merge makes.
// n / j next, k previous, m merge, x not a match, q back to the queue.

import { gql } from "../api.js";
import {
  acknowledgeConflict, domainName, mergeCandidate, notAMatch, queueOrder, sourceLabel, weightCell,
} from "../shared.js";
import { h, pct, render as paint, show } from "../ui.js";

export const title = "Compare";

const QUERY = `query Item($id: Int!) {
  reviewItem(id: $id) {
    id kind domain status score matchWeight priority closeness activity ageDays createdAt lastSourceChange conflict priorWeight explainedWeight
    left { id system key version fields goldenId }
    right { id system key version fields goldenId }
    leftGolden { id version values }
    rightGolden { id version values }
    fields { field left right same comparisons level weight }
    comparisons { comparison level weight fields }
    mergePreview { survivorId goldenIds memberIds values changed lineage { attribute system sourceKey } }
  }
}`;

let state = { item: null, go: null };

function header(item) {
  const pending = item.status === "pending";
  const isMatch = item.kind === "MATCH";
  return h(
    "div",
    { class: "page-head sticky" },
    h("div", {},
      h("h1", {}, `${isMatch ? "Match candidate" : "Price conflict"} #${item.id}`),
      h("p", { class: "muted" },
        `${domainName(item.domain)} · `,
        isMatch ? h("strong", {}, `score ${pct(item.score)}`) : "price conflict",
        item.matchWeight !== null ? ` (${item.matchWeight.toFixed(1)} bits)` : "",
        ` · priority ${item.priority.toFixed(2)} · waiting ${item.ageDays.toFixed(1)} d`,
        pending ? "" : h("span", { class: "tag warn" }, ` ${item.status}`))),
    h("div", { class: "actions", role: "toolbar", "aria-label": "Decide" },
      h("button", { type: "button", onclick: () => step(-1), title: "Previous (k)" }, "← Prev ", h("kbd", {}, "k")),
      h("button", { type: "button", onclick: () => step(1), title: "Next (n or j)" }, "Next ", h("kbd", {}, "n"), " →"),
      isMatch
        ? [
            h("button", { type: "button", class: "danger", id: "not-a-match", disabled: !pending, onclick: () => decide(notAMatch) }, "Not a match ", h("kbd", {}, "x")),
            h("button", { type: "button", class: "primary", id: "merge", disabled: !pending, onclick: () => decide(mergeCandidate) }, "Merge ", h("kbd", {}, "m")),
          ]
        : h("button", { type: "button", class: "primary", id: "merge", disabled: !pending, onclick: () => decide(acknowledgeConflict) }, "Accept price ", h("kbd", {}, "m")),
    ),
  );
}

function recordHead(record, golden) {
  if (!record) return h("th", {}, "—");
  return h("th", { scope: "col" },
    h("div", {}, sourceLabel(record), h("span", { class: "muted" }, ` v${record.version}`)),
    golden ? h("div", { class: "muted small" }, "in ", h("a", { href: `#/golden/${golden.id}` }, golden.id)) : null);
}

function fieldTable(item) {
  return h(
    "table",
    { class: "compare", id: "compare-table" },
    h("caption", {}, "Source records side by side; differences highlighted"),
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, "Field"),
      recordHead(item.left, item.leftGolden),
      recordHead(item.right, item.rightGolden),
      h("th", { scope: "col" }, "Comparison level"),
      h("th", { scope: "col", class: "num" }, "Weight"))),
    h("tbody", {}, item.fields.map((f) => {
      const differs = !f.same && (f.left !== null || f.right !== null);
      const lone = (f.left === null) !== (f.right === null);
      const empty = f.left === null && f.right === null;
      return h("tr", { class: empty ? "empty" : differs ? (lone ? "missing" : "diff") : "same" },
        h("th", { scope: "row" }, f.field.replaceAll("_", " ")),
        h("td", { class: "value" }, show(f.left)),
        h("td", { class: "value" }, show(f.right)),
        h("td", { class: "level" }, f.comparisons.length ? h("span", {}, h("span", { class: "muted" }, `${f.comparisons[0]}: `), f.level) : h("span", { class: "muted" }, "not compared")),
        weightCell(f.weight));
    })),
  );
}

function waterfall(item) {
  const rows = item.comparisons.filter((c) => c.weight !== 0);
  return h("section", { class: "panel", "aria-labelledby": "score-h" },
    h("h2", { id: "score-h" }, "How the score adds up"),
    h("table", { class: "compact" },
      h("tbody", {},
        h("tr", {}, h("th", { scope: "row" }, "prior"), h("td", {}, ""), weightCell(item.priorWeight)),
        rows.map((c) => h("tr", {}, h("th", { scope: "row" }, c.comparison), h("td", {}, c.level), weightCell(c.weight))),
        tfAdjustment(item),
        h("tr", { class: "total" }, h("th", { scope: "row" }, "total"), h("td", {}, pct(item.score)), weightCell(item.matchWeight)))));
}

function tfAdjustment(item) {
  if (item.matchWeight === null || item.explainedWeight === null) return null;
  const rest = item.matchWeight - item.explainedWeight;
  if (Math.abs(rest) < 0.01) return null;
  return h("tr", {}, h("th", { scope: "row" }, "term frequency"), h("td", { class: "muted" }, "rare or common values"), weightCell(rest));
}

function preview(item) {
  const p = item.mergePreview;
  if (!p) return null;
  const lineage = Object.fromEntries(p.lineage.map((l) => [l.attribute, l]));
  return h("aside", { class: "panel preview", "aria-labelledby": "preview-h" },
    h("h2", { id: "preview-h" }, "If merged"),
    h("p", { class: "muted small" }, "Golden record ", p.survivorId ? h("a", { href: `#/golden/${p.survivorId}` }, p.survivorId) : "new",
      ` would keep ${p.memberIds.length} source records. Changed values are marked.`),
    h("table", { class: "compact", id: "preview-table" },
      h("tbody", {}, Object.entries(p.values).map(([name, value]) =>
        h("tr", { class: p.changed.includes(name) ? "changed" : "" },
          h("th", { scope: "row" }, name.replaceAll("_", " ")),
          h("td", {}, show(value), lineage[name] && lineage[name].system ? h("div", { class: "muted small" }, `${lineage[name].system}:${lineage[name].sourceKey}`) : null))))));
}

function conflict(item) {
  const c = item.conflict || {};
  const row = (label, value) => h("tr", {}, h("th", { scope: "row" }, label), h("td", {}, show(value)));
  return h("section", { class: "panel" },
    h("h2", {}, "Disagreeing prices"),
    h("table", { class: "compact" }, h("tbody", {},
      row(`${sourceLabel(item.left)} unit price`, c.left_unit_price),
      row(`${sourceLabel(item.right)} unit price`, c.right_unit_price),
      row("currency / unit", `${show(c.currency)} / ${show(c.uom)}`),
      row("valid", `${show(c.valid_from)} – ${show(c.valid_to)}`),
      row("difference", c.relative_difference ? pct(Number(c.relative_difference)) : "—"),
      row("tolerance", c.tolerance ? pct(Number(c.tolerance)) : "—"),
      row("survivorship chose", c.winner ? `${c.winner.system}:${c.winner.source_key} at ${c.winner.unit_price}` : "—"))),
    h("p", {}, (c.golden_ids || []).map((g) => h("a", { href: `#/golden/${g}` }, g))));
}

export async function render({ match }, { go }) {
  const id = Number(match[0]);
  const { reviewItem: item } = await gql(QUERY, { id });
  state = { item, go };
  if (!item) {
    paint(h("section", { class: "panel" }, h("h1", {}, `No review item #${id}`), h("a", { href: "#/queue" }, "Back to the queue")));
    return;
  }
  const isMatch = item.kind === "MATCH";
  paint(
    h("p", { class: "crumbs" }, h("a", { href: `#/queue?${queueOrder.get().filter}` }, "← Queue"), h("span", { class: "muted" }, " (q)")),
    header(item),
    h("div", { class: "split" },
      h("div", { class: "main-col" }, fieldTable(item), isMatch ? waterfall(item) : conflict(item)),
      isMatch ? preview(item) : null),
  );
}

function step(direction) {
  const next = queueOrder.neighbour(state.item.id, direction);
  if (next !== undefined) state.go(`/item/${next}`);
}

async function decide(action) {
  const item = state.item;
  if (!item || item.status !== "pending") return;
  const done = await action({ ...item, left: item.left, right: item.right });
  if (!done) return;
  const next = queueOrder.without(item.id);
  state.go(next !== undefined ? `/item/${next}` : "/queue");
}

export function keys(event) {
  const item = state.item;
  if (!item) return;
  switch (event.key) {
    case "n":
    case "j":
      step(1);
      break;
    case "k":
      step(-1);
      break;
    case "m":
      decide(item.kind === "MATCH" ? mergeCandidate : acknowledgeConflict);
      break;
    case "x":
      if (item.kind === "MATCH") decide(notAMatch);
      break;
    case "q":
      state.go(`/queue?${queueOrder.get().filter}`);
      break;
  }
}
