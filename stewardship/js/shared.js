// Console pieces more than one page uses: record labels, the queue order
// (for next / previous), and the steward actions behind their confirmations.

import { gql } from "./api.js";
import { confirmAction, h, pct, toast } from "./ui.js";

const ORDER = "mdm.steward.queue";

export function recordName(fields) {
  if (!fields) return "—";
  const person = [fields.given_name, fields.family_name].filter(Boolean).join(" ");
  return fields.organization || fields.name || person || fields.description || fields.sku || "—";
}

export function goldenName(values) {
  return recordName(values || {});
}

export function sourceLabel(record) {
  return record ? `${record.system}:${record.key}` : "—";
}

// The queue as last listed: ids in priority order and the filter behind them.
export const queueOrder = {
  get() {
    try {
      return JSON.parse(sessionStorage.getItem(ORDER)) || { ids: [], filter: "" };
    } catch {
      return { ids: [], filter: "" };
    }
  },
  set(ids, filter) {
    sessionStorage.setItem(ORDER, JSON.stringify({ ids, filter }));
  },
  neighbour(id, step) {
    const { ids } = this.get();
    const at = ids.indexOf(id);
    if (at < 0) return ids[0];
    return ids[at + step];
  },
  without(id) {
    const state = this.get();
    const at = state.ids.indexOf(id);
    const next = at >= 0 ? state.ids[at + 1] ?? state.ids[at - 1] : state.ids[0];
    this.set(state.ids.filter((x) => x !== id), state.filter);
    return next;
  },
};

const RESULT = "decision { id kind } goldenIds events { type subject version }";

function outcomeText(verb, data) {
  const events = data.events.map((e) => e.type.split(".").pop());
  return `${verb}: decision ${data.decision ? data.decision.id : "—"}${events.length ? ` (${events.join(", ")})` : ""}`;
}

function pairSummary(item) {
  return h(
    "p",
    {},
    h("strong", {}, recordName(item.left && item.left.fields)), ` (${sourceLabel(item.left)})`,
    " and ",
    h("strong", {}, recordName(item.right && item.right.fields)), ` (${sourceLabel(item.right)})`,
    item.score !== null && item.score !== undefined ? `, score ${pct(item.score)}` : "",
  );
}

export async function mergeCandidate(item) {
  return confirmAction({
    title: `Merge candidate #${item.id}?`,
    body: h("div", {}, pairSummary(item), h("p", { class: "muted" }, "Both records will stay in one golden record. Undo is possible from Decisions.")),
    confirmLabel: "Merge",
    action: async (reason) => {
      const data = await gql(`mutation($id: Int!, $reason: String) { mergeCandidate(candidateId: $id, reason: $reason) { ${RESULT} } }`, { id: item.id, reason });
      toast(outcomeText("Merged", data.mergeCandidate));
      return data.mergeCandidate;
    },
  });
}

export async function notAMatch(item) {
  return confirmAction({
    title: `Not a match: candidate #${item.id}?`,
    body: h("div", {}, pairSummary(item), h("p", { class: "muted" }, "They stay apart until one of them changes in a compared field.")),
    confirmLabel: "Not a match",
    action: async (reason) => {
      const data = await gql(`mutation($id: Int!, $reason: String) { markNotAMatch(candidateId: $id, reason: $reason) { ${RESULT} } }`, { id: item.id, reason });
      toast(outcomeText("Not a match", data.markNotAMatch));
      return data.markNotAMatch;
    },
  });
}

export async function acknowledgeConflict(item) {
  return confirmAction({
    title: `Accept the chosen price for conflict #${item.id}?`,
    body: "The price survivorship chose stands; to use another price, correct it at its source.",
    confirmLabel: "Accept",
    action: async (reason) => {
      const data = await gql(`mutation($id: Int!, $reason: String) { acknowledgePriceConflict(candidateId: $id, reason: $reason) { ${RESULT} } }`, { id: item.id, reason });
      toast(outcomeText("Accepted", data.acknowledgePriceConflict));
      return data.acknowledgePriceConflict;
    },
  });
}

export async function undoDecision(decision) {
  return confirmAction({
    title: `Undo decision #${decision.id} (${decision.kind.replaceAll("_", " ")})?`,
    body: h("p", {}, "Its links or pinned value are reversed and the records re-matched."),
    confirmLabel: "Undo",
    action: async (reason) => {
      const data = await gql(`mutation($id: Int!, $reason: String) { undoDecision(decisionId: $id, reason: $reason) { ${RESULT} } }`, { id: decision.id, reason });
      toast(outcomeText("Undone", data.undoDecision));
      return data.undoDecision;
    },
  });
}

export function weightCell(weight) {
  if (weight === null || weight === undefined) return h("td", { class: "num muted" }, "—");
  const width = Math.min(Math.abs(weight) * 4, 60);
  return h(
    "td",
    { class: `num weight ${weight > 0 ? "pos" : weight < 0 ? "neg" : "zero"}` },
    h("span", { class: "bar", style: `width:${width}px` }),
    `${weight > 0 ? "+" : ""}${weight.toFixed(1)}`,
  );
}

export function domainName(domain) {
  return domain ? domain.toLowerCase() : "";
}
