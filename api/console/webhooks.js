// The console's webhooks page: the endpoints that hear about verdicts, their deliveries, a
// test message. Uses console.js's helpers (el, json, api, say); loaded before it.
"use strict";

const WEBHOOK_EVENTS = ["dataset.validated", "dataset.failed"];

async function showWebhooks(seq) {
  const url = el("input", { id: "webhook-url", name: "url", type: "url", required: true,
    placeholder: "https://example.com/hooks/sieve", autocomplete: "off" });
  const boxes = WEBHOOK_EVENTS.map((event) => el("label", { class: "inline" },
    el("input", { type: "checkbox", name: "events", value: event, checked: "" }), event));
  const secretBox = el("div", { id: "webhook-secret", "aria-live": "polite" });
  const form = el("form", { class: "grid", id: "webhook-form", onsubmit: async (event) => {
    event.preventDefault();
    const events = boxes.map((b) => b.querySelector("input")).filter((i) => i.checked).map((i) => i.value);
    try {
      const { webhook } = await json("/v1/webhooks", { method: "POST",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify({ url: url.value, events }) });
      form.reset();
      await listWebhooks(table, seq);
      secretBox.replaceChildren(el("div", { class: "card" },
        el("strong", {}, `Added ${webhook.id}. Its signing secret, shown only now:`),
        el("pre", { id: "webhook-secret-value" }, webhook.secret),
        el("span", { class: "muted" }, "Receivers verify the webhook-signature header with it "
          + "(the standardwebhooks package: Webhook(secret).verify(body, headers))."),
        el("button", { type: "button", class: "secondary", onclick: () => navigator.clipboard?.writeText(webhook.secret).then(() => say("Secret copied.")) }, "Copy")));
    } catch (error) { say(`Webhook refused: ${error.message}`); }
  } },
  el("label", { for: "webhook-url" }, "URL"), url,
  el("span", {}, "Events"), el("div", {}, boxes),
  el("span"), el("button", { type: "submit" }, "Add webhook"));
  const table = el("div", { id: "webhooks" });
  if (!current(seq)) return;
  view.replaceChildren(el("h1", {}, "Webhooks"),
    el("p", { class: "muted" }, "A signed POST (Standard Webhooks) reaches each URL when one of your datasets is validated or fails; failed deliveries are retried for about a day."),
    form, secretBox, table);
  await listWebhooks(table, seq);
}

async function listWebhooks(into, seq) {
  const { webhooks } = await json("/v1/webhooks");
  if (!current(seq)) return;
  const deliveries = el("div", { id: "deliveries" });
  const action = (label, run) => el("button", { type: "button", class: "secondary", onclick: run }, label);
  const rows = webhooks.map((w) => el("tr", {},
    el("td", { class: "wrap", "data-label": "URL" }, w.url, el("div", { class: "muted" }, w.id)),
    el("td", { "data-label": "Events" }, w.events.join(", ")),
    el("td", { "data-label": "State" }, w.disabled ? el("span", { class: "badge failed", title: w.disabled }, "disabled") : el("span", { class: "badge validated" }, "active")),
    el("td", {}, el("div", { class: "actions" },
      action("Deliveries", safely(() => showDeliveries(w, deliveries))),
      w.disabled ? null : action("Send test", async () => {
        try {
          const sent = await json(`/v1/webhooks/${w.id}/test`, { method: "POST" });
          say(`Test message ${sent.message_id} sent.`);
          showDeliveries(w, deliveries, sent.message_id);
        } catch (error) { say(`Test refused: ${error.message}`); }
      }),
      el("button", { type: "button", class: "danger", onclick: safely(async () => {
        await api(`/v1/webhooks/${w.id}`, { method: "DELETE" });
        say(`Deleted ${w.url}.`);
        await listWebhooks(into, seq);
      }) }, "Delete")))));
  if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: 4 }, "No webhooks yet.")));
  into.replaceChildren(el("table", { class: "stack" }, el("thead", {}, el("tr", {},
    ["URL", "Events", "State", ""].map((h) => el("th", { scope: "col" }, h)))), el("tbody", {}, rows)), deliveries);
}

// `awaited`: a message just sent; the table is fetched again until its first attempt shows.
async function showDeliveries(webhook, into, awaited = null, tries = 20) {
  const { deliveries } = await json(`/v1/webhooks/${webhook.id}/deliveries`);
  if (awaited && tries > 0 && !deliveries.some((d) => d.message_id === awaited)) {
    refreshTimer = setTimeout(safely(() => showDeliveries(webhook, into, awaited, tries - 1)), 1000);
  }
  const answer = (d) => (d.status_code ? `${d.status_code}` : d.error) + (d.next_attempt_at ? ` · next try ${d.next_attempt_at.replace("T", " ").slice(0, 19)}` : "");
  into.replaceChildren(el("h2", { id: "deliveries-heading", tabindex: "-1" }, `Deliveries to ${webhook.url}`),
    el("table", {}, el("thead", {}, el("tr", {}, ["When", "Event", "Dataset", "Try", "Outcome", "Answer"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, deliveries.length ? deliveries.map((d) => el("tr", {},
        el("td", {}, d.attempted_at.replace("T", " ").slice(0, 19)), el("td", {}, d.event),
        el("td", {}, d.dataset_id ? el("a", { href: `#/datasets/${d.dataset_id}` }, d.dataset_id) : ""),
        el("td", { class: "num" }, d.attempt), el("td", {}, badge(d.outcome === "delivered" ? "validated" : d.outcome === "retrying" ? "processing" : "failed"), " ", d.outcome),
        el("td", { class: "wrap" }, answer(d), d.response ? el("pre", {}, d.response) : null)))
        : [el("tr", {}, el("td", { colspan: 6 }, "No deliveries yet."))])));
  if (!awaited) into.querySelector("h2").focus();
}
