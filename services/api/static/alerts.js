// Alerts on the page: "Save as alert" sends the search shown to POST /api/alerts, and the
// Alerts view lists /api/alerts with their figures (and removes one). Writes need the API's
// token: it is kept in this tab's sessionStorage only and sent only to this API.
import { el } from "./dom.js";
import { alertQuery } from "./query.js";

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "newsflow.api-token";
// What an alert shows of its query, in the order of the search form.
const SHOWN = [["q", "Words"], ["sources", "Source"], ["languages", "Language"],
  ["countries", "Country"], ["entities", "Entity"], ["topics", "Topic"], ["places", "Place"],
  ["tone_min", "Tone at least"], ["tone_max", "Tone at most"]];

function storedToken() {
  try { return sessionStorage.getItem(TOKEN_KEY) ?? ""; } catch { return ""; }
}

function keepToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch { /* storage off: the token lives in the field only */ }
}

async function send(method, url, token, body) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(answer.error ?? `${response.status} ${response.statusText}`);
  }
  return answer;
}

// An alert's query as "label: value" pairs (the filters that are set).
export function queryTerms(alertQueryValue) {
  const terms = [];
  for (const [key, label] of SHOWN) {
    const value = alertQueryValue[key];
    if (value === null || value === undefined || value === "") continue;
    if (Array.isArray(value)) { if (value.length) terms.push([label, value.join(", ")]); }
    else terms.push([label, String(value)]);
  }
  return terms;
}

function describe(alertQueryValue) {
  const terms = queryTerms(alertQueryValue);
  return terms.length ? terms.map(([label, value]) => `${label}: ${value}`).join(" · ")
    : "every article";
}

// ---- "Save as alert" ------------------------------------------------------------------

export function setupAlerts({ api, applySearch, runQuery }) {
  let saving = null;

  $("save-alert").addEventListener("click", () => {
    // The form as typed is the search saved: it is applied first, so the results shown
    // are what the alert is.
    const query = applySearch();
    saving = alertQuery(query);
    const terms = queryTerms(saving);
    $("alert-query").replaceChildren(...(terms.length ? terms : [["Matches", "every article"]])
      .flatMap(([label, value]) => [el("dt", {}, label), el("dd", {}, value)]));
    const ignored = ["from", "to", "sort", "story"].filter((name) => query[name]?.length);
    $("alert-ignored").hidden = ignored.length === 0;
    $("alert-ignored").textContent = ignored.length
      ? `Not part of an alert (it looks at each new article): ${ignored.join(", ")}.` : "";
    $("alert-error").hidden = true;
    $("alert-created").hidden = true;
    $("alert-created").replaceChildren();
    $("alert-submit").disabled = false;
    $("alert-token").value = storedToken();
    $("alert-new").showModal();
    $("alert-name").focus();
  });

  $("alert-cancel").addEventListener("click", () => $("alert-new").close());

  $("alert-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = $("alert-token").value.trim();
    keepToken(token);
    const webhook = $("alert-webhook").value.trim();
    const body = {
      name: $("alert-name").value.trim(), query: saving,
      once_per_story: $("alert-once-per-story").checked,
    };
    if (webhook) body.webhook = { url: webhook };
    $("alert-error").hidden = true;
    $("alert-submit").disabled = true;
    try {
      const created = await send("POST", `${api}/alerts`, token, body);
      showCreated(created);
    } catch (error) {
      $("alert-error").textContent = String(error.message ?? error);
      $("alert-error").hidden = false;
      $("alert-submit").disabled = false;
    }
  });

  function showCreated(created) {
    const parts = [el("p", {}, "Saved alert ", el("strong", {}, created.name), ": ",
      describe(created.query), created.once_per_story ? ", once per story" : "",
      ". Its stream: ", el("code", {}, created.stream), ".")];
    if (created.secret) {
      // The one time the api answers it: the receiver needs it to check the signatures.
      parts.push(el("p", {}, "Webhook secret, shown this once (keep it for the receiver):"),
        el("p", {}, el("code", { id: "alert-secret", class: "secret" }, created.secret)));
    }
    $("alert-created").replaceChildren(...parts);
    $("alert-created").hidden = false;
  }

  // ---- the alerts view ------------------------------------------------------------------

  $("alerts-open").addEventListener("click", () => {
    $("alerts-token").value = storedToken();
    $("alerts").showModal();
    showAlerts();
  });
  $("alerts-close").addEventListener("click", () => $("alerts").close());
  $("alerts-token").addEventListener("change", () => keepToken($("alerts-token").value.trim()));

  async function showAlerts() {
    $("alerts-error").hidden = true;
    $("alerts-status").textContent = "Loading…";
    try {
      const { items } = await send("GET", `${api}/alerts`);
      $("alerts-rows").replaceChildren(...items.map(alertRow));
      $("alerts-status").textContent = items.length === 1 ? "1 alert" : `${items.length} alerts`;
      $("alerts-status").dataset.count = items.length;
    } catch (error) {
      $("alerts-status").textContent = "";
      showAlertsError(error);
    }
  }

  function showAlertsError(error) {
    $("alerts-error").textContent = String(error.message ?? error);
    $("alerts-error").hidden = false;
  }

  function alertRow(alert) {
    const figures = alert.figures ?? {};
    return el("tr", { "data-name": alert.name },
      el("th", { scope: "row" }, alert.name),
      el("td", { class: "alert-described" }, describe(alert.query ?? {})),
      el("td", { "data-per": alert.once_per_story ? "story" : "article" },
        alert.once_per_story ? "story" : "article"),
      el("td", {}, alert.webhook ? alert.webhook.origin : "—"),
      el("td", { class: "num", "data-figure": "matched" }, figures.matched ?? 0),
      el("td", { class: "num", "data-figure": "delivered" }, figures.delivered ?? 0),
      el("td", { class: "num", "data-figure": "failed" }, figures.failed ?? 0),
      el("td", { class: "actions" },
        el("button", { type: "button", class: "secondary",
          onclick: () => { $("alerts").close(); runQuery(alert.query ?? {}); } }, "Search"),
        el("button", { type: "button", class: "danger",
          "aria-label": `Remove alert ${alert.name}`,
          onclick: () => removeAlert(alert.name) }, "Remove")));
  }

  async function removeAlert(name) {
    if (!confirm(`Remove the alert ${name}? Its stream stays.`)) return;
    const token = $("alerts-token").value.trim();
    keepToken(token);
    try {
      await send("DELETE", `${api}/alerts/${encodeURIComponent(name)}`, token);
      await showAlerts();
    } catch (error) {
      showAlertsError(error);
    }
  }
}
