// Sieve's web console: a thin client of the JSON API. The API key lives in sessionStorage and
// travels only in the Authorization header (never a URL or a cookie, so no request can be
// forged from another site). Every value from the server is put in the page as text.
"use strict";

const KEY = "sieve-api-key";
const view = document.getElementById("view");
const statusLine = document.getElementById("status");
const datasetTypes = JSON.parse(document.getElementById("dataset-types").innerHTML);
let refreshTimer = null;
let routeSeq = 0; // the latest route() call: an older one still awaiting the API draws nothing
const current = (seq) => seq === routeSeq;

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "onclick" || name === "onsubmit" || name === "onchange") node[name] = value;
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function say(message) { statusLine.textContent = message; }

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}), Authorization: `Bearer ${sessionStorage.getItem(KEY)}` };
  const response = await fetch(path, { ...options, headers });
  if (response.status === 401) { signOut(); throw new Error("the API key was refused"); }
  if (!response.ok) {
    let message = response.statusText;
    try { message = (await response.json()).message; } catch (_) { /* not JSON */ }
    throw new Error(message);
  }
  return response;
}

const json = async (path, options) => (await api(path, options)).json();
const bytes = (n) => (n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(2)} GiB`
  : n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`);

function badge(status) { return el("span", { class: `badge ${status}` }, status); }

function progressBar(progress) {
  const done = progress && progress.chunks_total ? progress.chunks_done / progress.chunks_total : 0;
  const label = progress && progress.chunks_total
    ? `${progress.chunks_done} of ${progress.chunks_total} chunks, ${progress.rows_seen || 0} rows seen` : "waiting";
  return el("div", { class: "bar", role: "progressbar", "aria-label": label,
    "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": Math.round(done * 100) },
  el("span", { style: `width:${Math.round(done * 100)}%` }));
}

// -- sign in ------------------------------------------------------------------------------
function signOut() {
  sessionStorage.removeItem(KEY);
  document.getElementById("nav").hidden = true;
  document.getElementById("sign-in").hidden = false;
  view.replaceChildren();
}

document.getElementById("sign-out").onclick = () => { signOut(); say("Signed out."); };
document.getElementById("sign-in-form").onsubmit = async (event) => {
  event.preventDefault();
  const input = document.getElementById("api-key");
  sessionStorage.setItem(KEY, input.value.trim());
  input.value = "";
  try {
    await json("/v1/datasets/usage");
    say("Signed in.");
    route();
  } catch (error) { say(`Could not sign in: ${error.message}`); }
};

// -- the datasets list ----------------------------------------------------------------------
async function showList(query, seq) {
  const params = new URLSearchParams(query);
  const typeSelect = el("select", { id: "filter-type", name: "datasetType" },
    el("option", { value: "" }, "any type"), datasetTypes.map((t) => el("option", { value: t }, t)));
  const statusSelect = el("select", { id: "filter-status", name: "validationStatus" },
    el("option", { value: "" }, "any status"),
    ["queued", "processing", "validated", "failed"].map((s) => el("option", { value: s }, s)));
  typeSelect.value = params.get("datasetType") || "";
  statusSelect.value = params.get("validationStatus") || "";
  const filters = el("form", { class: "filters", onsubmit: (event) => {
    event.preventDefault();
    const chosen = new URLSearchParams();
    if (typeSelect.value) chosen.set("datasetType", typeSelect.value);
    if (statusSelect.value) chosen.set("validationStatus", statusSelect.value);
    location.hash = `#/?${chosen}`;
  } }, el("label", {}, "Type", typeSelect), el("label", {}, "Status", statusSelect),
  el("button", { type: "submit", class: "secondary" }, "Filter"));
  const body = el("tbody");
  if (!current(seq)) return;
  view.replaceChildren(el("h1", {}, "Datasets"), filters,
    el("table", {}, el("caption", { class: "muted" }, "Newest first; refreshed while validation runs"),
      el("thead", {}, el("tr", {}, ["Name", "Type", "Status", "Progress", "Created"].map((h) => el("th", { scope: "col" }, h)))),
      body));
  const datasets = (await json(`/v1/datasets?${params}`)).datasets;
  if (!current(seq)) return;
  body.replaceChildren(...datasets.map((d) => el("tr", {},
    el("td", {}, el("a", { href: `#/datasets/${d.id}` }, d.name), el("div", { class: "muted" }, d.id)),
    el("td", {}, d.dataset_type), el("td", {}, badge(d.validation_status)),
    el("td", {}, d.progress ? progressBar(d.progress) : (d.validation_error ? el("span", { class: "error" }, "see errors") : "done")),
    el("td", {}, d.created_at.replace("T", " ").slice(0, 19)))));
  if (!datasets.length) body.append(el("tr", {}, el("td", { colspan: 5 }, "No datasets yet: upload one.")));
  if (datasets.some((d) => d.progress)) refreshTimer = setTimeout(route, 1500);
}

// -- upload ------------------------------------------------------------------------------------
function showUpload() {
  const field = (label, input) => [el("label", { for: input.id }, label), input];
  const form = el("form", { class: "grid", id: "upload-form" },
    field("File", el("input", { id: "data", name: "data", type: "file", required: true })),
    field("Evaluation file (optional)", el("input", { id: "eval_data", name: "eval_data", type: "file" })),
    field("Type", el("select", { id: "type", name: "type", required: true }, datasetTypes.map((t) => el("option", { value: t }, t)))),
    field("Name (default: the file's)", el("input", { id: "name", name: "name", maxlength: 50 })),
    field("Keep fields (comma-separated)", el("input", { id: "keep_fields", name: "keep_fields" })),
    field("Optional fields", el("input", { id: "optional_fields", name: "optional_fields" })),
    field("Skip malformed rows", el("input", { id: "skip_malformed_input", name: "skip_malformed_input", type: "checkbox" })),
    field("Keep the original file", el("input", { id: "keep_original_file", name: "keep_original_file", type: "checkbox" })),
    el("span"), el("button", { type: "submit" }, "Upload"));
  const bar = el("progress", { id: "upload-progress", max: 100, value: 0, "aria-label": "upload progress", hidden: true });
  form.onsubmit = (event) => { event.preventDefault(); upload(form, bar); };
  view.replaceChildren(el("h1", {}, "Upload a dataset"), form, bar);
}

function upload(form, bar) {
  const data = form.elements.data.files[0];
  const query = new URLSearchParams({ type: form.elements.type.value,
    name: (form.elements.name.value || data.name.replace(/\.[^.]+$/, "")).slice(0, 50) });
  for (const name of ["keep_fields", "optional_fields"]) if (form.elements[name].value) query.set(name, form.elements[name].value);
  for (const name of ["skip_malformed_input", "keep_original_file"]) if (form.elements[name].checked) query.set(name, "true");
  const body = new FormData();
  body.append("data", data);
  if (form.elements.eval_data.files[0]) body.append("eval_data", form.elements.eval_data.files[0]);
  const request = new XMLHttpRequest();
  request.open("POST", `/v1/datasets?${query}`);
  request.setRequestHeader("Authorization", `Bearer ${sessionStorage.getItem(KEY)}`);
  bar.hidden = false;
  request.upload.onprogress = (event) => {
    if (event.lengthComputable) { bar.value = Math.round((100 * event.loaded) / event.total); say(`Uploading: ${bar.value}%`); }
  };
  request.onload = () => {
    const answer = JSON.parse(request.responseText || "{}");
    if (request.status !== 200) { say(`Upload refused: ${answer.message}`); return; }
    say("Uploaded: validating.");
    location.hash = `#/datasets/${answer.id}`;
  };
  request.onerror = () => say("The upload was cut off; try again.");
  request.send(body);
}

// -- one dataset -------------------------------------------------------------------------------
async function showDataset(id, seq) {
  const d = (await json(`/v1/datasets/${id}`)).dataset;
  const parts = [el("h1", {}, d.name, " ", badge(d.validation_status)), el("p", { class: "muted" }, `${d.id} · ${d.dataset_type}`)];
  if (d.progress) parts.push(progressBar(d.progress));
  if (d.validation_error) parts.push(el("p", { class: "error", id: "validation-error" }, d.validation_error));
  for (const warning of d.validation_warnings || []) parts.push(el("p", { class: "warning" }, warning));
  const metrics = (d.metrics || {}).finetune_dataset_metrics || {};
  parts.push(el("div", { class: "cards" },
    Object.entries(metrics).filter(([, v]) => typeof v === "number").map(([k, v]) => el("div", { class: "card" }, el("b", {}, v.toLocaleString()), k.replaceAll("_", " ")))));
  parts.push(downloads(d));
  if (d.validation_report && d.validation_report.findings) parts.push(...errorsSection(d));
  if (d.profile) parts.push(...(await profileSection(d.id)));
  if (d.validation_status === "validated") parts.push(...rowsSection(d));
  parts.push(deleteSection(d));
  if (!current(seq)) return;
  view.replaceChildren(...parts);
  if (d.progress) refreshTimer = setTimeout(route, 1000);
}

function downloads(d) {
  const links = (d.dataset_parts || []).map((p) => el("a", { href: p.url, download: "" }, `${p.name} (${p.num_rows} rows, ${bytes(p.size_bytes)})`));
  const original = (d.dataset_parts || []).find((p) => p.original_url);
  if (original) links.push(el("a", { href: original.original_url, download: "" }, "the original file"));
  const report = (format) => el("button", { type: "button", class: "secondary", onclick: () => saveReport(d.id, format) }, `Report (${format.toUpperCase()})`);
  return el("section", { "aria-labelledby": "downloads" }, el("h2", { id: "downloads" }, "Downloads"),
    el("div", { class: "actions" }, links, d.validation_report ? [report("jsonl"), report("csv")] : null));
}

async function saveReport(id, format) {
  const blob = await (await api(`/v1/datasets/${id}/report?format=${format}`)).blob();
  const link = el("a", { href: URL.createObjectURL(blob), download: `${id}-report.${format}` });
  document.body.append(link); link.click(); link.remove();
  say(`Report saved as ${id}-report.${format}.`);
}

function errorsSection(d) {
  const list = el("div", { id: "findings" });
  const rows = d.validation_report.by_rule.map((r) => el("tr", {},
    el("td", {}, el("button", { type: "button", class: "link", onclick: () => showFindings(d, r.code, r.file, list) }, r.code)),
    el("td", {}, r.file), el("td", { class: "num" }, r.count.toLocaleString())));
  return [el("h2", { id: "errors" }, `Findings (${d.validation_report.findings.toLocaleString()})`),
    el("table", { "aria-labelledby": "errors" }, el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Rule"), el("th", { scope: "col" }, "File"), el("th", { scope: "col", class: "num" }, "Rows"))), el("tbody", {}, rows)),
    list];
}

async function showFindings(d, code, file, into) {
  clearTimeout(refreshTimer);  // the person is reading: no refresh under their feet
  const query = new URLSearchParams({ code, file, limit: 50 });
  const text = await (await api(`/v1/datasets/${d.id}/report?${query}`)).text();
  const found = text.split("\n").filter(Boolean).map((line) => JSON.parse(line));
  into.replaceChildren(el("h3", {}, `${code}: the first ${found.length}`), el("table", {},
    el("thead", {}, el("tr", {}, ["Row", "Field", "Value", "Message"].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, found.map((f) => el("tr", {},
      el("td", { class: "num" }, d.validation_status === "validated" && f.row
        ? el("a", { href: `#/datasets/${d.id}/rows/${f.file}/${Math.max(0, f.row - 3)}`, title: "the rows kept around it" }, f.row) : f.row),
      el("td", {}, f.field || ""), el("td", {}, el("pre", {}, f.excerpt ?? "")), el("td", {}, f.message))))));
  into.querySelector("h3").setAttribute("tabindex", "-1");
  into.querySelector("h3").focus();
}

async function profileSection(id) {
  const profile = (await json(`/v1/datasets/${id}/profile`)).profile;
  const sections = [el("h2", { id: "profile" }, "Profile")];
  for (const [role, file] of Object.entries(profile)) {
    sections.push(el("h3", {}, `${role} file: ${file.rows.toLocaleString()} rows, ${file.valid_rows.toLocaleString()} valid`));
    for (const [name, field] of Object.entries(file.fields)) {
      const top = Math.max(1, ...field.histogram.map((b) => b.count));
      sections.push(el("div", { class: "card" },
        el("strong", {}, name), el("span", { class: "muted" }, ` length min ${field.min} · p50 ${field.p50} · p95 ${field.p95} · max ${field.max} · empty ${field.empty} · blank ${field.blank}`),
        el("div", { class: "chart", role: "img", "aria-label": `histogram of ${name} lengths` },
          field.histogram.map((b) => el("span", { style: `height:${Math.round((100 * b.count) / top)}%`, title: `${b.from}–${b.to}: ${b.count}` }))),
        el("div", { class: "axis" }, el("span", {}, field.min), el("span", {}, field.max))));
    }
    const labels = Object.entries(file.labels || {});
    if (labels.length) {
      const top = Math.max(...labels.map(([, n]) => n));
      sections.push(el("table", {}, el("caption", {}, "Label balance"), el("tbody", {}, labels.map(([label, n]) => el("tr", {},
        el("td", {}, label), el("td", { class: "num" }, n), el("td", {}, el("div", { class: "bar" }, el("span", { style: `width:${Math.round((100 * n) / top)}%` }))))))));
    }
    if (file.duplicates?.count) sections.push(el("p", {}, `${file.duplicates.count} exact duplicates (the first at row ${file.duplicates.first_row})`));
    if (file.in_train?.count) sections.push(el("p", { class: "warning" }, `${file.in_train.count} rows also in the train file: ${file.in_train.rows.join(", ")}`));
  }
  return sections;
}

function rowsSection(d, role = "train", offset = 0) {
  const search = el("input", { id: "row-search", type: "search", "aria-label": "search the rows" });
  const table = el("div", { id: "rows" });
  const load = async (at, query) => {
    const params = new URLSearchParams({ file: role, offset: at, limit: 20 });
    if (query) params.set("q", query);
    const page = await json(`/v1/datasets/${d.id}/rows?${params}`);
    const pager = el("div", { class: "actions" },
      el("button", { type: "button", class: "secondary", disabled: at === 0 ? "" : null, onclick: () => load(Math.max(0, at - 20), query) }, "Previous"),
      el("span", {}, query ? `${page.matches} matches in ${page.total.toLocaleString()} rows${page.partial ? " (search stopped early: partial)" : ""}` : `rows ${at + 1}–${at + page.rows.length} of ${page.total.toLocaleString()}`),
      el("button", { type: "button", class: "secondary", disabled: page.rows.length < 20 ? "" : null, onclick: () => load(at + 20, query) }, "Next"));
    table.replaceChildren(pager, el("table", {}, el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "#"), el("th", { scope: "col" }, "Row"))),
      el("tbody", {}, page.rows.map((r) => el("tr", {}, el("td", { class: "num" }, r.position + 1), el("td", {}, el("pre", {}, JSON.stringify(r.data, null, 1))))))));
  };
  const form = el("form", { class: "filters", role: "search", onsubmit: (event) => { event.preventDefault(); load(0, search.value); } },
    el("label", {}, "Search", search), el("button", { type: "submit", class: "secondary" }, "Search"));
  load(offset, "");
  return [el("h2", { id: "rows-heading" }, `Rows (${role})`), form, table];
}

function deleteSection(d) {
  const dialog = el("dialog", { id: "confirm-delete", "aria-labelledby": "confirm-title" },
    el("h2", { id: "confirm-title" }, `Delete ${d.name}?`), el("p", {}, "Its files and parts are removed for good."),
    el("div", { class: "actions" },
      el("button", { type: "button", class: "secondary", onclick: () => dialog.close() }, "Cancel"),
      el("button", { type: "button", class: "danger", id: "confirm-delete-yes", onclick: async () => {
        dialog.close();
        await api(`/v1/datasets/${d.id}`, { method: "DELETE" });
        say(`Deleted ${d.name}.`);
        location.hash = "#/";
      } }, "Delete")));
  return el("section", {}, el("h2", {}, "Delete"), dialog,
    el("button", { type: "button", class: "danger", id: "delete", onclick: () => dialog.showModal() }, "Delete this dataset"));
}

// -- routing ------------------------------------------------------------------------------------
async function route() {
  clearTimeout(refreshTimer);
  const seq = ++routeSeq;
  if (!sessionStorage.getItem(KEY)) { signOut(); return; }
  document.getElementById("sign-in").hidden = true;
  document.getElementById("nav").hidden = false;
  const [path, query] = location.hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean);
  try {
    json("/v1/datasets/usage").then((u) => { document.getElementById("usage").textContent = `${bytes(u.organization_usage)} used`; });
    if (parts[0] === "upload") showUpload();
    else if (parts[0] === "webhooks") await showWebhooks(seq);
    else if (parts[0] === "datasets" && parts[2] === "rows") {
      const d = (await json(`/v1/datasets/${parts[1]}`)).dataset;
      if (!current(seq)) return;
      view.replaceChildren(el("p", {}, el("a", { href: `#/datasets/${d.id}` }, `← ${d.name}`)), ...rowsSection(d, parts[3], Number(parts[4]) || 0));
    } else if (parts[0] === "datasets") await showDataset(parts[1], seq);
    else await showList(query || "", seq);
  } catch (error) { say(`Error: ${error.message}`); }
}

window.addEventListener("hashchange", () => { route(); document.getElementById("main").focus(); });
route();
