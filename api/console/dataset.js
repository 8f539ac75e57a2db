// The console's page of one dataset: its verdict, figures, downloads, why it failed (each rule
// once, its rows on demand), profile, rows, delete. Uses console.js's helpers; loaded before it.
"use strict";

// -- one dataset -------------------------------------------------------------------------------
async function showDataset(id, seq) {
  const d = (await json(`/v1/datasets/${id}`)).dataset;
  const parts = [el("h1", {}, d.name, " ", badge(d.validation_status)), el("p", { class: "muted" }, `${d.id} · ${d.dataset_type}`)];
  if (d.progress) {
    const { chunks_done: done, chunks_total: total, rows_seen: rows } = d.progress;
    parts.push(progressBar(d.progress), el("p", { class: "muted", id: "validation-progress" }, total
      ? `Validating: ${count(done)} of ${plural(total, "chunk")}, ${plural(rows || 0, "row")} seen`
      : "Waiting for a worker to start validating"));
  }
  const report = d.validation_report || {};
  const failing = report.failing_warnings || 0;  // the first warnings fail it too: told per rule
  if (d.validation_status === "failed") {
    parts.push(el("p", { class: "error", id: "validation-error" }, report.findings
      ? "Validation failed: fix what “Why it failed” lists below, then upload the file again."
      : d.validation_error));
  }
  const warnings = d.validation_status === "failed" ? (d.validation_warnings || []).slice(failing) : d.validation_warnings || [];
  for (const warning of warnings) parts.push(el("p", { class: "warning" }, warning));
  parts.push(figuresCards(d));
  if (d.validation_status === "validated") parts.push(downloads(d));
  if (report.findings) parts.push(...(await errorsSection(d)));
  const profile = d.profile ? await profileOf(d.id) : null;
  if (profile) parts.push(...profileSection(profile));
  if (d.validation_status === "validated") parts.push(...rowsSection(d, profile));
  parts.push(deleteSection(d));
  if (!current(seq)) return;
  view.replaceChildren(...parts);
  if (d.progress) refreshTimer = setTimeout(route, 1000);
}

const METRIC_NAMES = { total_examples: "examples", train_examples: "train examples", eval_examples: "eval examples",
  train_size_bytes: "train size", eval_size_bytes: "eval size", trainable_token_count: "trainable tokens",
  input_token_count: "input tokens" };

// The dataset's figures, as people read them: rows and sizes of a validated dataset (with its
// token counts), or what was read of a failed one (whose stored sizes would say 0).
function figuresCards(d) {
  const card = (value, label, title) => el("div", { class: "card", title }, el("b", {}, value), label);
  const cards = [];
  if (d.validation_status === "validated") {
    const metrics = (d.metrics || {}).finetune_dataset_metrics || {};
    for (const [key, value] of Object.entries(metrics)) {
      if (typeof value !== "number" || (key.startsWith("eval_") && !value)) continue;
      const label = METRIC_NAMES[key] || key.replaceAll("_", " ");
      cards.push(card(key.endsWith("_bytes") ? bytes(value) : count(value), label,
        key.endsWith("token_count") && metrics.tokenizer ? `counted with ${metrics.tokenizer}` : undefined));
    }
  } else {
    for (const [role, file] of Object.entries(d.profile || {})) {
      cards.push(card(count(file.rows), `rows read in the ${role} file`), card(count(file.valid_rows), `valid in the ${role} file`));
    }
  }
  for (const [role, file] of Object.entries(d.profile || {})) {
    if (file.tokens) cards.push(card(`${count(file.tokens.p50)} / ${count(file.tokens.max)}`, `tokens per row in the ${role} file (median / max)`));
  }
  return el("div", { class: "cards", id: "figures" }, cards);
}

function downloads(d) {
  const links = (d.dataset_parts || []).map((p) => el("a", { href: p.url, download: "" }, `${p.name} (${p.num_rows} rows, ${bytes(p.size_bytes)})`));
  const original = (d.dataset_parts || []).find((p) => p.original_url);
  if (original) links.push(el("a", { href: original.original_url, download: "" }, "the original file"));
  const report = (format) => el("button", { type: "button", class: "secondary", onclick: safely(() => saveReport(d.id, format)) }, `Report (${format.toUpperCase()})`);
  return el("section", { "aria-labelledby": "downloads" }, el("h2", { id: "downloads" }, "Downloads"),
    el("div", { class: "actions" }, links, d.validation_report ? [report("jsonl"), report("csv")] : null));
}

async function saveReport(id, format) {
  const blob = await (await api(`/v1/datasets/${id}/report?format=${format}`)).blob();
  const link = el("a", { href: URL.createObjectURL(blob), download: `${id}-report.${format}` });
  document.body.append(link); link.click(); link.remove();
  say(`Report saved as ${id}-report.${format}.`);
}

const ruleNames = {};  // dataset type -> rule code -> what it checks, in plain words
async function namesOfRules(type) {
  if (!ruleNames[type]) {
    const { dataset_type: entry } = await json(`/v1/dataset-types/${type}`);
    ruleNames[type] = Object.fromEntries(entry.rules.map((r) => [r.code, r.checks]));
  }
  return ruleNames[type];
}

async function findingsOf(d, code, file, limit) {
  const query = new URLSearchParams({ code, file, limit });
  const text = await (await api(`/v1/datasets/${d.id}/report?${query}`)).text();
  return text.split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

// Each broken rule once: what it checks, how many rows, the first of them, and its rows on
// demand; rules of the whole file (too few examples, labels) beside those of rows.
async function errorsSection(d) {
  const report = d.validation_report;
  const names = await namesOfRules(d.dataset_type);
  const list = el("div", { id: "findings" });
  const items = await Promise.all(report.by_rule.map(async (r) => {
    const first = await findingsOf(d, r.code, r.file, 3);
    const rows = first.map((f) => f.row).filter((row) => row);
    const where = rows.length ? ` — row${rows.length > 1 ? "s" : ""} ${rows.join(", ")}${r.count > rows.length ? ", …" : ""}`
      : first[0] ? ` — ${first[0].message}` : "";
    return el("li", { class: "rule" },
      el("strong", {}, names[r.code] ? names[r.code][0].toUpperCase() + names[r.code].slice(1) : r.code),
      el("span", { class: "muted" }, ` (${r.code})`),
      el("div", {}, `${plural(r.count, "finding")} in the ${r.file} file${where} `,
        el("button", { type: "button", class: "link", onclick: safely(() => showFindings(d, r.code, r.file, list)) }, "show them")));
  }));
  const title = d.validation_status === "failed" ? "Why it failed" : "Findings";
  const rules = report.by_rule.length;
  return [el("h2", { id: "errors" }, `${title}: ${plural(report.findings, "finding")} under ${plural(rules, "rule")}`),
    el("ul", { class: "rules", "aria-labelledby": "errors" }, items), list];
}

async function showFindings(d, code, file, into) {
  clearTimeout(refreshTimer);  // the person is reading: no refresh under their feet
  const found = await findingsOf(d, code, file, 50);
  into.replaceChildren(el("h3", {}, `${code}: ${found.length === 1 ? "its finding" : `the first ${found.length} findings`}`), el("table", {},
    el("thead", {}, el("tr", {}, ["Row", "Field", "Value", "Message"].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, found.map((f) => el("tr", {},
      el("td", { class: "num" }, d.validation_status === "validated" && f.row
        ? el("a", { href: `#/datasets/${d.id}/rows/${f.file}/${Math.max(0, f.row - 3)}`, title: "the rows kept around it" }, f.row) : f.row),
      el("td", {}, f.field ? el("mark", {}, f.field) : ""), el("td", {}, el("pre", {}, f.field && f.excerpt ? el("mark", {}, f.excerpt) : f.excerpt ?? "")), el("td", {}, f.message))))));
  into.querySelector("h3").setAttribute("tabindex", "-1");
  into.querySelector("h3").focus();
}

const profiles = {};  // dataset id -> its whole profile (with histograms), fetched once
async function profileOf(id) {
  if (!profiles[id]) profiles[id] = (await json(`/v1/datasets/${id}/profile`)).profile;
  return profiles[id];
}

function histogramChart(name, field) {
  const top = Math.max(1, ...field.histogram.map((b) => b.count));
  return el("div", { class: "chart", role: "img", "aria-label": `histogram of ${name} lengths` },
    field.histogram.map((b) => el("span", { style: `height:${Math.round((100 * b.count) / top)}%`, title: `${b.from}–${b.to}: ${b.count}` })));
}

function profileSection(profile) {
  const sections = [el("h2", { id: "profile" }, "Profile")];
  for (const [role, file] of Object.entries(profile)) {
    sections.push(el("h3", {}, `${role} file: ${file.rows.toLocaleString()} rows, ${file.valid_rows.toLocaleString()} valid`));
    for (const [name, field] of Object.entries(file.fields)) {
      sections.push(el("div", { class: "card" },
        el("strong", {}, name), el("span", { class: "muted" }, ` length min ${field.min} · p50 ${field.p50} · p95 ${field.p95} · max ${field.max} · empty ${field.empty} · blank ${field.blank}`),
        histogramChart(name, field),
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

function deleteSection(d) {
  const dialog = el("dialog", { id: "confirm-delete", "aria-labelledby": "confirm-title" },
    el("h2", { id: "confirm-title" }, `Delete ${d.name}?`), el("p", {}, "Its files and parts are removed for good."),
    el("div", { class: "actions" },
      el("button", { type: "button", class: "secondary", onclick: () => dialog.close() }, "Cancel"),
      el("button", { type: "button", class: "danger", id: "confirm-delete-yes", onclick: safely(async () => {
        dialog.close();
        await api(`/v1/datasets/${d.id}`, { method: "DELETE" });
        say(`Deleted ${d.name}.`);
        location.hash = "#/";
      }) }, "Delete")));
  return el("section", {}, el("h2", {}, "Delete"), dialog,
    el("button", { type: "button", class: "danger", id: "delete", onclick: () => dialog.showModal() }, "Delete this dataset"));
}

