// Operations page of the steward console: golden record and review trends,
// delivery health per subscriber and rejects per source system, drawn as
// inline SVG from one `opsStats` GraphQL query. Any reader key may look.

const KEY = "mdm.steward.key"; // the console's key, kept in this tab only
const SVG = "http://www.w3.org/2000/svg";
const CHANGE_COLORS = { created: "#2457c5", updated: "#7aa2f7", merged: "#1e7b45", split: "#e0a100", deleted: "#b3261e" };
const REVIEW_COLORS = { opened: "#e0a100", decided: "#1e7b45" };
const QUERY = `query OpsPage($days: Int!) {
  opsStats(days: $days) {
    since
    goldenChanges { day key count }
    review { day key count }
    golden { domain status count }
    queues { domain kind size oldest }
    subscribers { name state backlog lagSeconds deadLetters lastDeliveredAt }
    rejects { system loads read rejectedRows fieldErrors }
  }
}`;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

async function gql(query, variables, key) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json().catch(() => ({ errors: [{ message: `the server answered ${response.status}` }] }));
  if (body.errors && body.errors.length) {
    const err = new Error(body.errors[0].message);
    err.code = body.errors[0].extensions && body.errors[0].extensions.code;
    throw err;
  }
  return body.data;
}

// Every day from `since` to today (UTC), so quiet days show as gaps, not as missing.
export function daysFrom(since, today = new Date()) {
  const out = [];
  const end = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  for (let t = Date.parse(`${since}T00:00:00Z`); t <= end; t += 86400000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

export function byDay(counts, days, keys) {
  const table = Object.fromEntries(days.map((d) => [d, Object.fromEntries(keys.map((k) => [k, 0]))]));
  for (const c of counts) if (table[c.day] && c.key in table[c.day]) table[c.day][c.key] += c.count;
  return table;
}

function niceMax(value) {
  if (value <= 5) return 5;
  const step = 10 ** Math.floor(Math.log10(value));
  return Math.ceil(value / step) * step;
}

function fmtDuration(seconds) {
  if (seconds < 90) return `${Math.round(seconds)}s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86400)}d`;
}

function legend(colors) {
  return el("div", { class: "legend" }, Object.entries(colors).map(([k, c]) => el("span", {}, el("i", { style: `background:${c}` }), k)));
}

function axis(g, { left, top, width, height, max }) {
  for (const f of [0, 0.5, 1]) {
    const y = top + height - f * height;
    g.append(svg("line", { x1: left, x2: left + width, y1: y, y2: y, stroke: "#dde1e8" }));
    g.append(svg("text", { x: left - 6, y: y + 4, "text-anchor": "end" }, String(Math.round(f * max))));
  }
}

// About eight labels, always the last day (today), never two on top of each other.
function dayLabels(g, days, x, y) {
  const every = Math.max(1, Math.ceil(days.length / 8));
  const last = days.length - 1;
  days.forEach((d, i) => {
    const shown = i === last || (i % every === 0 && last - i >= every / 2);
    if (shown) g.append(svg("text", { x: x(i), y, "text-anchor": i === last && days.length > 1 ? "end" : "middle" }, d.slice(5)));
  });
}

// Stacked bars: one per day, one segment per key.
export function stackedBars(days, table, colors, title) {
  const W = 640, H = 220, left = 40, top = 10, width = W - left - 10, height = H - top - 30;
  const totals = days.map((d) => Object.values(table[d]).reduce((a, b) => a + b, 0));
  const max = niceMax(Math.max(0, ...totals));
  const band = width / days.length;
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title }, svg("title", {}, title));
  axis(chart, { left, top, width, height, max });
  days.forEach((d, i) => {
    let y = top + height;
    for (const [key, color] of Object.entries(colors)) {
      const n = table[d][key] || 0;
      if (!n) continue;
      const h = (n / max) * height;
      y -= h;
      chart.append(svg("rect", { x: left + i * band + band * 0.15, y, width: band * 0.7, height: h, fill: color, "data-key": key },
        svg("title", {}, `${d} ${key}: ${n}`)));
    }
  });
  dayLabels(chart, days, (i) => left + i * band + band / 2, H - 10);
  return chart;
}

// Lines: one per key, a point per day.
export function lines(days, table, colors, title) {
  const W = 640, H = 220, left = 40, top = 10, width = W - left - 10, height = H - top - 30;
  const max = niceMax(Math.max(0, ...days.flatMap((d) => Object.values(table[d]))));
  const x = (i) => left + (days.length === 1 ? width / 2 : (i * width) / (days.length - 1));
  const y = (n) => top + height - (n / max) * height;
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title }, svg("title", {}, title));
  axis(chart, { left, top, width, height, max });
  for (const [key, color] of Object.entries(colors)) {
    const points = days.map((d, i) => `${x(i).toFixed(1)},${y(table[d][key]).toFixed(1)}`).join(" ");
    chart.append(svg("polyline", { points, fill: "none", stroke: color, "stroke-width": 2, "data-key": key }));
    days.forEach((d, i) => chart.append(svg("circle", { cx: x(i), cy: y(table[d][key]), r: 2.5, fill: color },
      svg("title", {}, `${d} ${key}: ${table[d][key]}`))));
  }
  dayLabels(chart, days, x, H - 10);
  return chart;
}

// Horizontal bars: one row per label, segments side by side (stacked).
export function hbars(rows, colors, title, { note = () => "" } = {}) {
  const W = 640, left = 130, right = 150, rowH = 26, top = 6;
  const H = top * 2 + Math.max(1, rows.length) * rowH;
  const max = niceMax(Math.max(0, ...rows.map((r) => Object.keys(colors).reduce((a, k) => a + (r[k] || 0), 0))));
  const width = W - left - right;
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title }, svg("title", {}, title));
  if (!rows.length) chart.append(svg("text", { x: W / 2, y: H / 2 + 4, "text-anchor": "middle" }, "nothing to show"));
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    chart.append(svg("text", { x: left - 8, y: y + rowH / 2 + 4, "text-anchor": "end", class: "label" }, r.label));
    let x = left;
    for (const [key, color] of Object.entries(colors)) {
      const w = ((r[key] || 0) / max) * width;
      if (w > 0) {
        chart.append(svg("rect", { x, y: y + 4, width: w, height: rowH - 8, fill: color, "data-key": key },
          svg("title", {}, `${r.label} ${key}: ${r[key]}`)));
      }
      x += w;
    }
    chart.append(svg("text", { x: x + 6, y: y + rowH / 2 + 4, class: r.bad ? "bad" : "" }, note(r)));
  });
  return chart;
}

function tile(value, label, bad = false) {
  return el("div", { class: bad ? "tile bad" : "tile" }, el("b", {}, String(value)), el("span", {}, label));
}

function panel(id, title, note, ...content) {
  return el("section", { id, "aria-labelledby": `${id}-h` }, el("h2", { id: `${id}-h` }, title), el("p", { class: "note" }, note), ...content);
}

export function renderStats(root, stats, today = new Date()) {
  const days = daysFrom(stats.since, today);
  const active = stats.golden.filter((g) => g.status === "active");
  const queued = stats.queues.reduce((a, q) => a + q.size, 0);
  const oldest = stats.queues.map((q) => q.oldest).filter(Boolean).sort()[0];
  const dead = stats.subscribers.reduce((a, s) => a + s.deadLetters, 0);
  const backlog = stats.subscribers.reduce((a, s) => a + s.backlog, 0);
  const rejected = stats.rejects.reduce((a, r) => a + r.rejectedRows, 0);

  const tiles = el("div", { class: "tiles", id: "ops-tiles" },
    active.map((g) => tile(g.count, `golden ${g.domain} records`)),
    tile(queued, oldest ? `in review (oldest ${fmtDuration((today - new Date(oldest)) / 1000)})` : "in review"),
    tile(backlog, "events not yet delivered", backlog > 0 && stats.subscribers.some((s) => s.lagSeconds > 300)),
    tile(dead, "dead letters", dead > 0),
    tile(rejected, "rejected rows", rejected > 0));

  const golden = panel("ops-golden", "Golden record changes per day",
    "Versions written per day (UTC) and change type: new records, updates, merges, splits, deletions.",
    stackedBars(days, byDay(stats.goldenChanges, days, Object.keys(CHANGE_COLORS)), CHANGE_COLORS, "Golden record changes per day"),
    legend(CHANGE_COLORS));

  const review = panel("ops-review", "Review queue per day",
    `Items opened for stewards and items decided per day; ${queued} waiting now.`,
    lines(days, byDay(stats.review, days, Object.keys(REVIEW_COLORS)), REVIEW_COLORS, "Review items opened and decided per day"),
    legend(REVIEW_COLORS));

  const deliveryColors = { backlog: "#2457c5", deadLetters: "#b3261e" };
  const subRows = stats.subscribers.map((s) => ({
    label: s.name, backlog: s.backlog, deadLetters: s.deadLetters, bad: s.deadLetters > 0 || s.state !== "active",
    lag: s.lagSeconds, state: s.state,
  }));
  const delivery = panel("ops-delivery", "Delivery health per subscriber",
    "Events waiting (backlog) and given up (dead letters); the lag is the age of the oldest undelivered event.",
    hbars(subRows, deliveryColors, "Backlog and dead letters per subscriber",
      { note: (r) => `lag ${fmtDuration(r.lag)}${r.state !== "active" ? ` · ${r.state}` : ""}` }),
    el("table", {}, el("thead", {}, el("tr", {}, ["subscriber", "state", "backlog", "lag", "dead letters", "last delivery"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, stats.subscribers.map((s) => el("tr", {},
        el("td", {}, s.name), el("td", { class: s.state === "active" ? "" : "bad" }, s.state), el("td", {}, String(s.backlog)),
        el("td", {}, fmtDuration(s.lagSeconds)), el("td", { class: s.deadLetters ? "bad" : "" }, String(s.deadLetters)),
        el("td", {}, s.lastDeliveredAt ? new Date(s.lastDeliveredAt).toISOString().slice(0, 16).replace("T", " ") : "–"))))),
    legend({ backlog: deliveryColors.backlog, "dead letters": deliveryColors.deadLetters }));

  const rejectColors = { rejectedRows: "#b3261e", fieldErrors: "#e0a100" };
  const rejects = panel("ops-rejects", "Rejects per source system",
    "Rows rejected whole, and fields dropped from stored rows, over every load (files and API).",
    hbars(stats.rejects.map((r) => ({ label: r.system, rejectedRows: r.rejectedRows, fieldErrors: r.fieldErrors, read: r.read })),
      rejectColors, "Rejected rows and field errors per source system",
      { note: (r) => `${r.read ? ((100 * r.rejectedRows) / r.read).toFixed(1) : "0.0"}% of ${r.read} rows` }),
    legend({ "rejected rows": rejectColors.rejectedRows, "field errors": rejectColors.fieldErrors }));

  root.replaceChildren(tiles, golden, review, delivery, rejects);
}

function signIn(root, onKey) {
  const input = el("input", { id: "ops-key", type: "password", autocomplete: "off", placeholder: "mdm_…", required: "" });
  root.replaceChildren(el("form", { class: "ops-signin", onsubmit: (e) => { e.preventDefault(); onKey(input.value.trim()); } },
    el("label", { for: "ops-key" }, "API key (any role; kept in this tab only)"), input, el("button", { type: "submit" }, "Show")));
  input.focus();
}

async function main() {
  const root = document.getElementById("ops");
  const error = document.getElementById("ops-error");
  const picker = document.getElementById("ops-days");
  const load = async () => {
    const key = sessionStorage.getItem(KEY);
    if (!key) return signIn(root, (k) => { sessionStorage.setItem(KEY, k); load(); });
    error.textContent = "";
    try {
      const { opsStats } = await gql(QUERY, { days: Number(picker.value) }, key);
      renderStats(root, opsStats);
      document.getElementById("ops-when").textContent = `as of ${new Date().toLocaleString()}`;
      document.body.dataset.ready = "true";
    } catch (err) {
      if (err.code === "UNAUTHENTICATED") {
        sessionStorage.removeItem(KEY);
        return load();
      }
      error.textContent = `Could not load the figures: ${err.message}`;
    }
  };
  picker.addEventListener("change", load);
  await load();
}

if (typeof document !== "undefined" && document.getElementById("ops")) main();
