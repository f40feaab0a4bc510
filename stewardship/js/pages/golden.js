// A golden record: attributes with lineage (pin / unpin), source records
// (split one out), history, pending candidates and the decisions that touched it.

import { gql } from "../api.js";
import { domainName, goldenName, undoDecision } from "../shared.js";
import { confirmAction, h, pct, render as paint, show, toast, when } from "../ui.js";

export const title = "Golden record";

const QUERY = `query Golden($id: ID!) {
  goldenRecord(id: $id) {
    id domain status version resolvedFrom createdAt updatedAt values
    lineage { attribute value system sourceKey strategy rule overridden }
    sourceRecords { id system key version fields linkedBy matchProbability sourceUpdatedAt }
    history { version changeType changedAt members }
    matchCandidates { id matchProbability }
  }
  pinnedValues(goldenId: $id) { attribute value reason actor pinnedAt }
  stewardDecisions(goldenId: $id, first: 20) { id kind actor reason createdAt undoneBy }
}`;

const RESULT = "decision { id } goldenIds events { type subject }";

let state = { id: null, go: null };

function attributes(record, pinned) {
  const pins = Object.fromEntries(pinned.map((p) => [p.attribute, p]));
  const names = [...new Set([...record.lineage.map((l) => l.attribute), ...Object.keys(pins)])];
  const byName = Object.fromEntries(record.lineage.map((l) => [l.attribute, l]));
  return h("section", { class: "panel", "aria-labelledby": "attr-h" },
    h("h2", { id: "attr-h" }, "Attributes and lineage"),
    h("table", { class: "list", id: "attributes" },
      h("thead", {}, h("tr", {}, ["Attribute", "Value", "Source", "Rule", ""].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, names.map((name) => {
        const l = byName[name] || {};
        const pin = pins[name];
        return h("tr", { "data-attribute": name, class: pin ? "pinned" : "" },
          h("th", { scope: "row" }, name.replaceAll("_", " ")),
          h("td", { class: "value" }, show(l.value ?? (pin && pin.value)), pin ? h("span", { class: "tag" }, " pinned") : null),
          h("td", {}, pin ? h("span", { class: "muted" }, `steward ${pin.actor}`) : l.system ? `${l.system}:${l.sourceKey}` : "—"),
          h("td", { class: "muted small" }, pin ? `“${pin.reason}”` : l.rule || ""),
          h("td", { class: "row-actions" },
            record.status === "ACTIVE" ? h("button", { type: "button", class: "small", onclick: () => pinValue(record, name, l.value) }, pin ? "Change" : "Override") : null,
            pin ? h("button", { type: "button", class: "small", onclick: () => unpinValue(record, name) }, "Unpin") : null));
      }))));
}

// Canonical attributes (shared/DESIGN.md); the server validates the name and value.
const ATTRIBUTES = {
  CUSTOMER: ["name", "given_name", "family_name", "organization", "tax_id", "email", "phone", "address_line1", "address_line2",
    "city", "region", "postal_code", "country", "date_of_birth", "credit_limit", "payment_terms", "segment", "account_owner", "status"],
  ITEM: ["name", "description", "manufacturer", "mpn", "gtin", "sku", "category", "base_uom", "uom", "pack_qty", "weight_kg", "status"],
};

function pinOther(record) {
  const missing = (ATTRIBUTES[record.domain] || []).filter((a) => !(a in (record.values || {})));
  if (!missing.length || record.status !== "ACTIVE") return null;
  const choice = h("select", { id: "pin-other", "aria-label": "Attribute without a value" }, missing.map((a) => h("option", { value: a }, a.replaceAll("_", " "))));
  return h("p", { class: "pin-other" }, "Set an attribute that has no value: ", choice, " ",
    h("button", { type: "button", class: "small", onclick: () => pinValue(record, choice.value, null) }, "Override…"));
}

function sources(record) {
  return h("section", { class: "panel", "aria-labelledby": "src-h" },
    h("h2", { id: "src-h" }, `Source records (${record.sourceRecords.length})`),
    h("table", { class: "list", id: "source-records" },
      h("thead", {}, h("tr", {}, ["Record", "Name", "Address", "Linked", "Updated", ""].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, record.sourceRecords.map((r) =>
        h("tr", { "data-record": r.id },
          h("td", {}, `${r.system}:${r.key}`, h("div", { class: "muted small" }, `#${r.id} v${r.version}`)),
          h("td", {}, goldenName(r.fields)),
          h("td", { class: "small" }, [r.fields.address_line1, r.fields.city, r.fields.postal_code].filter(Boolean).join(", ") || "—"),
          h("td", { class: "small" }, r.linkedBy || "—", r.matchProbability !== null ? ` ${pct(r.matchProbability)}` : ""),
          h("td", { class: "small" }, when(r.sourceUpdatedAt)),
          h("td", { class: "row-actions" },
            h("button", { type: "button", class: "small", onclick: () => splitRecord(record, r) }, "Split…")))))));
}

function history(record) {
  return h("section", { class: "panel", "aria-labelledby": "hist-h" },
    h("h2", { id: "hist-h" }, "History"),
    h("ol", { class: "history", reversed: true }, [...record.history].reverse().map((v) =>
      h("li", {}, h("strong", {}, `v${v.version} ${v.changeType}`), ` · ${when(v.changedAt)} · ${v.members.length} member(s)`))));
}

function decisions(list) {
  return h("section", { class: "panel", "aria-labelledby": "dec-h" },
    h("h2", { id: "dec-h" }, "Steward decisions"),
    list.length
      ? h("ul", { class: "plain", id: "golden-decisions" }, list.map((d) =>
          h("li", {}, `#${d.id} ${d.kind.replaceAll("_", " ")} by ${d.actor} · ${when(d.createdAt)}`, d.reason ? h("span", { class: "muted" }, ` “${d.reason}”`) : "",
            d.undoneBy ? h("span", { class: "tag" }, ` undone by #${d.undoneBy}`)
              : d.kind !== "undo" ? h("button", { type: "button", class: "small", onclick: () => undo(d) }, "Undo") : null)))
      : h("p", { class: "muted" }, "None yet."));
}

export async function render({ match }, { go }) {
  const id = match[0];
  const data = await gql(QUERY, { id });
  const record = data.goldenRecord;
  state = { id, go };
  if (!record) {
    paint(h("section", { class: "panel" }, h("h1", {}, `No golden record ${id}`)));
    return;
  }
  paint(
    h("div", { class: "page-head" },
      h("div", {},
        h("h1", {}, goldenName(record.values), " ", h("span", { class: "muted small" }, record.id)),
        h("p", { class: "muted" }, `${domainName(record.domain)} · ${record.status.toLowerCase()} · version ${record.version} · updated ${when(record.updatedAt)}`,
          record.resolvedFrom ? ` · ${record.resolvedFrom} was merged into this record` : ""))),
    record.matchCandidates.length
      ? h("p", { class: "notice" }, "Pending review: ", record.matchCandidates.map((c) => h("a", { href: `#/item/${c.id}` }, `#${c.id} (${pct(c.matchProbability)}) `)))
      : null,
    h("div", { class: "split" },
      h("div", { class: "main-col" }, attributes(record, data.pinnedValues), pinOther(record), sources(record)),
      h("div", { class: "side-col" }, decisions(data.stewardDecisions), history(record))),
  );
}

function reload() {
  return render({ match: [state.id] }, { go: state.go });
}

async function pinValue(record, attribute, current) {
  const input = h("input", { id: "override-value", value: current === null || current === undefined ? "" : String(current), autocomplete: "off" });
  const done = await confirmAction({
    title: `Override ${attribute.replaceAll("_", " ")}`,
    body: h("div", {}, h("label", { class: "field", for: "override-value" }, "Value to pin"), input,
      h("p", { class: "muted small" }, "Survivorship keeps this value until it is unpinned.")),
    confirmLabel: "Pin value",
    reasonRequired: true,
    action: async (reason) => {
      const data = await gql(`mutation($id: ID!, $a: String!, $v: JSON!, $r: String!) { overrideAttribute(goldenId: $id, attribute: $a, value: $v, reason: $r) { ${RESULT} } }`,
        { id: record.id, a: attribute, v: input.value, r: reason });
      toast(`Pinned ${attribute}: decision ${data.overrideAttribute.decision.id}`);
      return data.overrideAttribute;
    },
  });
  if (done) await reload();
}

async function unpinValue(record, attribute) {
  const done = await confirmAction({
    title: `Unpin ${attribute.replaceAll("_", " ")}?`,
    body: "Survivorship decides the value again.",
    confirmLabel: "Unpin",
    action: async (reason) => {
      const data = await gql(`mutation($id: ID!, $a: String!, $r: String) { unpinAttribute(goldenId: $id, attribute: $a, reason: $r) { ${RESULT} } }`,
        { id: record.id, a: attribute, r: reason });
      toast(`Unpinned ${attribute}: decision ${data.unpinAttribute.decision.id}`);
      return data.unpinAttribute;
    },
  });
  if (done) await reload();
}

async function splitRecord(record, source) {
  const into = h("input", { id: "split-into", placeholder: "leave empty for a new golden record", autocomplete: "off" });
  const result = await confirmAction({
    title: `Split ${source.system}:${source.key} out of ${record.id}?`,
    body: h("div", {},
      h("p", {}, `${goldenName(source.fields)} leaves this golden record and stays apart from its other members.`),
      h("label", { class: "field", for: "split-into" }, "Move into golden record (optional)"), into),
    confirmLabel: "Split",
    action: async (reason) => {
      const data = await gql(`mutation($r: Int!, $into: ID, $reason: String) { splitRecord(recordId: $r, into: $into, reason: $reason) { ${RESULT} } }`,
        { r: source.id, into: into.value.trim() || null, reason });
      toast(`Split: decision ${data.splitRecord.decision.id}`);
      return data.splitRecord;
    },
  });
  if (!result) return;
  const stays = result.goldenIds.includes(record.id);
  if (stays) await reload();
  else state.go(`/golden/${result.goldenIds[0]}`);
}

async function undo(decision) {
  const done = await undoDecision(decision);
  if (done) await reload();
}
