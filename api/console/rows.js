// The console's rows viewer, as the Hugging Face dataset viewer shows rows: a tab per file
// (train, eval), a column per field with its statistics above it (length histogram, label
// balance), long text cut to a few lines with the whole row a click away, a conversation shown
// as turns and other nested values as a tree. Uses console.js's and dataset.js's helpers.
"use strict";

const PAGE_ROWS = 20;

function splitsOf(d) {
  const roles = new Set((d.dataset_parts || []).map((p) => p.name.split("-")[0]));
  return ["train", "eval"].filter((r) => roles.has(r));
}

const rowsIn = (d, role) => (d.dataset_parts || []).filter((p) => p.name.startsWith(`${role}-`)).reduce((n, p) => n + p.num_rows, 0);

function fieldsOf(d) {
  try { return JSON.parse(d.schema).fields.map((f) => f.name); } catch (_) { return []; }
}

const isTurn = (v) => v && typeof v === "object" && !Array.isArray(v) && ("role" in v || "content" in v);
const isConversation = (v) => Array.isArray(v) && v.length > 0 && v.every(isTurn);
const text = (v) => (typeof v === "string" ? v : JSON.stringify(v));

function conversation(turns) {
  return el("div", { class: "conversation" }, turns.map((turn) => el("div", { class: `turn ${String(turn.role || "").toLowerCase()}` },
    el("b", {}, turn.role ?? "(no role)"), " ", text(turn.content ?? ""))));
}

// Nested values as a tree a person opens level by level, not raw JSON.
function tree(value, open = true) {
  if (isConversation(value)) return conversation(value);
  if (value === null || typeof value !== "object") return el("span", { class: "leaf" }, value === null ? "null" : String(value));
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  const summary = Array.isArray(value) ? `${entries.length} items` : `{ ${entries.map(([k]) => k).join(", ")} }`;
  return el("details", { open: open ? "" : null }, el("summary", {}, summary),
    el("ul", { class: "tree" }, entries.map(([k, v]) => el("li", {}, el("b", {}, `${k}`), ": ", tree(v, false)))));
}

function cell(value) {
  if (isConversation(value)) return el("div", { class: "cut" }, conversation(value));
  if (value !== null && typeof value === "object") return tree(value, false);
  return el("div", { class: "cut" }, value === null || value === undefined ? "" : String(value));
}

function columnStats(field, stats) {
  if (!stats) return "";
  const parts = [el("div", { class: "muted" }, `${count(stats.min)}–${count(stats.max)} chars, median ${count(stats.p50)}`)];
  if (stats.histogram) parts.unshift(histogramChart(field, stats));
  return el("div", { class: "stats" }, parts);
}

function labelStats(labels) {
  const entries = Object.entries(labels || {}).sort((a, b) => b[1] - a[1]);
  const total = entries.reduce((n, [, c]) => n + c, 0) || 1;
  return el("div", { class: "stats" }, entries.slice(0, 4).map(([label, n]) => el("div", { class: "label-share" },
    el("span", {}, label), el("div", { class: "bar" }, el("span", { style: `width:${Math.round((100 * n) / total)}%` })),
    el("span", { class: "muted" }, `${Math.round((100 * n) / total)}%`))),
  entries.length > 4 ? el("div", { class: "muted" }, `and ${entries.length - 4} more labels`) : null);
}

function openRow(row) {
  const dialog = el("dialog", { class: "row-dialog", "aria-label": `row ${row.position + 1}` },
    el("h2", {}, `Row ${count(row.position + 1)}`), tree(row.data),
    el("div", { class: "actions" }, el("button", { type: "button", onclick: () => { dialog.close(); dialog.remove(); } }, "Close")));
  document.body.append(dialog);
  dialog.showModal();
}

function rowsSection(d, profile, role = "train", offset = 0) {
  const splits = splitsOf(d);
  if (!splits.includes(role)) role = splits[0] || "train";
  const fields = fieldsOf(d);
  const file = (profile || {})[role] || {};
  const rowsInFile = rowsIn(d, role);
  const heading = el("h2", { id: "rows-heading" }, "Rows");
  const tabs = el("div", { role: "tablist", "aria-label": "files", class: "tabs" }, splits.map((r) => el("button", {
    type: "button", role: "tab", "aria-selected": r === role ? "true" : "false", class: r === role ? "tab active" : "tab",
    onclick: () => section.replaceWith(...rowsSection(d, profile, r, 0).slice(1)) }, `${r} (${count(rowsIn(d, r))})`)));
  const search = el("input", { id: "row-search", type: "search", "aria-label": "search the rows" });
  const within = el("select", { id: "row-search-field", "aria-label": "search in" },
    fields.map((f) => el("option", { value: f }, f)));  // the API searches one field at a time
  const table = el("div", { id: "rows" });
  const load = safely(async (at, query, field) => {
    const params = new URLSearchParams({ file: role, offset: at, limit: PAGE_ROWS });
    if (query) params.set("q", query);
    if (query && field) params.set("field", field);
    const page = await json(`/v1/datasets/${d.id}/rows?${params}`);
    const where = `the ${field || page.field || fields[0]} field`;
    const share = rowsInFile ? Math.round((100 * page.total) / rowsInFile) : 100;
    const said = query
      ? `${count(page.matches)} ${page.matches === 1 ? "match" : "matches"} for “${query}” in ${where} of ${count(page.total)} rows searched (${share}% of the ${role} file${page.partial ? "; the search ran out of time" : ""})`
      : `rows ${at + 1}–${at + page.rows.length} of ${count(page.total)}`;
    const pager = el("div", { class: "actions" },
      el("button", { type: "button", class: "secondary", disabled: at === 0 ? "" : null, onclick: () => load(Math.max(0, at - PAGE_ROWS), query, field) }, "Previous"),
      el("span", { id: "rows-said" }, said),
      el("button", { type: "button", class: "secondary", disabled: page.rows.length < PAGE_ROWS ? "" : null, onclick: () => load(at + PAGE_ROWS, query, field) }, "Next"));
    const columns = fields.length ? fields : Object.keys(page.rows[0]?.data || {});
    const stats = el("tr", { class: "stats-row" }, el("td", {}), columns.map((f) => el("td", {},
      (file.labels && f === "label") ? labelStats(file.labels) : columnStats(f, (file.fields || {})[f]))));
    table.replaceChildren(pager, el("div", { class: "scroll" }, el("table", { class: "rows" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col", class: "num" }, "#"), columns.map((f) => el("th", { scope: "col" }, f))), stats),
      el("tbody", {}, page.rows.map((r) => el("tr", {},
        el("td", { class: "num" }, el("button", { type: "button", class: "link", title: "open the whole row", onclick: () => openRow(r) }, count(r.position + 1))),
        columns.map((f) => el("td", { "data-label": f }, cell(r.data[f])))))))));
  });
  const form = el("form", { class: "filters", role: "search", onsubmit: (event) => { event.preventDefault(); load(0, search.value, within.value); } },
    el("label", {}, "Search", search), el("label", {}, "in", within), el("button", { type: "submit", class: "secondary" }, "Search"));
  const section = el("div", { class: "rows-section" }, splits.length > 1 ? tabs : null, form, table);
  load(offset, "", "");
  return [heading, section];
}
