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

let sayTimer = null;
// A status message, gone after a while (an error stays until the next page or message).
function say(message, { stays = false } = {}) {
  clearTimeout(sayTimer);
  statusLine.textContent = message;
  if (!stays) sayTimer = setTimeout(() => { statusLine.textContent = ""; }, 6000);
}

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
  : n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);
const count = (n) => Number(n).toLocaleString("en-US");
const plural = (n, noun) => `${count(n)} ${noun}${n === 1 ? "" : "s"}`;
const duration = (s) => (s < 60 ? `${Math.round(s)} s` : `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, "0")} s`);
// Rows kept (validated) or read (failed), and bytes stored, of a dataset object.
function rowsOf(d) {
  const parts = d.dataset_parts || [];
  if (parts.length) return { rows: parts.reduce((n, p) => n + p.num_rows, 0), size: parts.reduce((n, p) => n + p.size_bytes, 0) };
  const files = Object.values(d.profile || {});
  return { rows: files.length ? files.reduce((n, f) => n + f.rows, 0) : null, size: null };
}

// An async action run from a click: its failure is said on the status line, never left as an
// unhandled rejection.
const safely = (action) => (...args) => Promise.resolve().then(() => action(...args))
  .catch((error) => say(`Error: ${error.message}`, { stays: true }));

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
    el("table", { class: "stack" }, el("caption", { class: "muted" }, "Newest first; refreshed while validation runs"),
      el("thead", {}, el("tr", {}, ["Name", "Type", "Status", "Rows", "Size", "Progress", "Created"].map((h) => el("th", { scope: "col", class: ["Rows", "Size"].includes(h) ? "num" : null }, h)))),
      body));
  const datasets = (await json(`/v1/datasets?${params}`)).datasets;
  if (!current(seq)) return;
  body.replaceChildren(...datasets.map((d) => {
    const { rows, size } = rowsOf(d);
    return el("tr", {},
      el("td", { "data-label": "Name", class: "wrap" }, el("a", { href: `#/datasets/${d.id}` }, d.name), el("div", { class: "muted" }, d.id)),
      el("td", { "data-label": "Type", class: "nowrap" }, d.dataset_type), el("td", { "data-label": "Status" }, badge(d.validation_status)),
      el("td", { "data-label": "Rows", class: "num" }, rows === null ? "–" : count(rows)),
      el("td", { "data-label": "Size", class: "num" }, size === null ? "–" : bytes(size)),
      el("td", { "data-label": "Progress" }, d.progress ? progressBar(d.progress) : (d.validation_error ? el("span", { class: "error" }, "see errors") : "done")),
      el("td", { "data-label": "Created", class: "nowrap" }, d.created_at.replace("T", " ").slice(0, 16)));
  }));
  if (!datasets.length) body.append(el("tr", {}, el("td", { colspan: 7 }, "No datasets yet: upload one.")));
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
    el("span"), el("button", { type: "submit", id: "upload-button" }, "Upload"));
  const meter = el("div", { class: "bar wide", role: "progressbar", "aria-label": "upload progress",
    "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": 0 }, el("span", { style: "width:0%" }));
  const progress = el("section", { id: "upload-progress", hidden: true },
    meter, el("div", { class: "actions" }, el("span", { id: "upload-figures", "aria-live": "polite" }),
      el("button", { type: "button", class: "danger", id: "cancel-upload" }, "Cancel upload")));
  form.onsubmit = (event) => { event.preventDefault(); upload(form, progress); };
  view.replaceChildren(el("h1", {}, "Upload a dataset"), form, progress);
}

// Bytes sent, speed and time left while the file goes up; Cancel aborts the request, and the
// server keeps nothing of an upload that did not finish.
function showSent(progress, loaded, total, started) {
  const share = total ? loaded / total : 0;
  const seconds = (performance.now() - started) / 1000;
  const speed = seconds > 0 ? loaded / seconds : 0;
  const meter = progress.querySelector("[role=progressbar]");
  meter.setAttribute("aria-valuenow", Math.round(share * 100));
  meter.firstChild.style.width = `${Math.round(share * 100)}%`;
  const left = speed > 0 && loaded < total ? ` · ${duration((total - loaded) / speed)} left` : "";
  progress.querySelector("#upload-figures").textContent =
    `${Math.round(share * 100)}% · ${bytes(loaded)} of ${bytes(total)} · ${bytes(speed)}/s${left}`;
}

function upload(form, progress) {
  const data = form.elements.data.files[0];
  const query = new URLSearchParams({ type: form.elements.type.value,
    name: (form.elements.name.value || data.name.replace(/\.[^.]+$/, "")).slice(0, 50) });
  for (const name of ["keep_fields", "optional_fields"]) if (form.elements[name].value) query.set(name, form.elements[name].value);
  for (const name of ["skip_malformed_input", "keep_original_file"]) if (form.elements[name].checked) query.set(name, "true");
  const body = new FormData();
  body.append("data", data);
  if (form.elements.eval_data.files[0]) body.append("eval_data", form.elements.eval_data.files[0]);
  const request = new XMLHttpRequest();
  const started = performance.now();
  const button = form.querySelector("#upload-button");
  const done = () => { button.disabled = false; progress.hidden = true; };
  request.open("POST", `/v1/datasets?${query}`);
  request.setRequestHeader("Authorization", `Bearer ${sessionStorage.getItem(KEY)}`);
  button.disabled = true;
  progress.hidden = false;
  showSent(progress, 0, data.size, started);
  progress.querySelector("#cancel-upload").onclick = () => request.abort();
  request.upload.onprogress = (event) => {
    if (event.lengthComputable) showSent(progress, event.loaded, event.total, started);
  };
  request.onload = () => {
    done();
    let answer = {};
    try { answer = JSON.parse(request.responseText || "{}"); } catch (_) { /* not JSON */ }
    if (request.status !== 200) { say(`Upload refused: ${answer.message || request.statusText}`, { stays: true }); return; }
    say("Uploaded: validation is under way.");
    location.hash = `#/datasets/${answer.id}`;
  };
  request.onabort = () => { done(); say("Upload cancelled: nothing of it was kept."); };
  request.onerror = () => { done(); say("The upload was cut off; try again.", { stays: true }); };
  request.send(body);
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
    json("/v1/datasets/usage").then((u) => { document.getElementById("usage").textContent = `${bytes(u.organization_usage)} used`; })
      .catch(() => { /* said by the page's own request */ });
    if (parts[0] === "upload") showUpload();
    else if (parts[0] === "webhooks") await showWebhooks(seq);
    else if (parts[0] === "datasets" && parts[2] === "rows") {
      const d = (await json(`/v1/datasets/${parts[1]}`)).dataset;
      if (!current(seq)) return;
      const back = el("p", {}, el("a", { href: `#/datasets/${d.id}` }, `← ${d.name}`));
      if (d.validation_status !== "validated") {
        view.replaceChildren(back, el("p", {}, `${d.name} is ${d.validation_status}: only a validated dataset keeps rows to browse; its findings are on its page.`));
      } else view.replaceChildren(back, ...rowsSection(d, d.profile ? await profileOf(d.id) : null, parts[3], Number(parts[4]) || 0));
    } else if (parts[0] === "datasets") await showDataset(parts[1], seq);
    else await showList(query || "", seq);
  } catch (error) { say(`Error: ${error.message}`, { stays: true }); }
}

window.addEventListener("hashchange", () => { route(); document.getElementById("main").focus(); });
route();
