// The search page: reads the view from the URL, asks the API, draws results, chart, facets
// and the open article; every change of the view goes through `go`, which updates the URL.
import { el, formatDate, markedText } from "./dom.js";
import { drawChart, bucketRange } from "./chart.js";
import { renderArticle } from "./article.js";
import { renderStory, storyLink } from "./story.js";
import { setupAlerts } from "./alerts.js";
import {
  BOXED, REPEATABLE, apiUrl, filterParams, joinValues, pageParams, pageUrl, readQuery,
  searchOf, splitValues,
  withValue, withoutValue,
} from "./query.js";

const $ = (id) => document.getElementById(id);
// The API lives beside the page: relative URLs keep working behind a path prefix.
const API = "api";
const FACETS = { sources: "source", countries: "country", languages: "language",
  topics: "topic", entities: "entity", places: "place" };

let query = readQuery(location.search);
let nextCursor = null;
let total = 0;
let live = null;
let loading = 0;

// A GET that got no answer at all (a dropped connection, the api restarting) is tried again
// twice: reading twice changes nothing, and one lost request would blank a panel for good.
const RETRY_DELAYS_MS = [250, 1000];

async function fetchRetried(url, options) {
  for (const delay of [...RETRY_DELAYS_MS, null]) {
    try {
      return await fetch(url, options);
    } catch (error) {
      if (delay === null || options.signal?.aborted) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

async function getJson(url, signal) {
  const response = await fetchRetried(url, { signal, headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error ?? body.detail ?? `${response.status} ${response.statusText}`);
  return body;
}

function go(next, { replace = false } = {}) {
  query = next;
  const url = pageUrl(query);
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  show();
}

// ---- the form <-> the query -------------------------------------------------------------

function fillForm() {
  $("q").value = query.q;
  $("from").value = query.from.slice(0, 10);
  $("to").value = query.to.slice(0, 10);
  $("sort").value = query.sort;
  $("interval").value = query.interval;
  for (const name of BOXED) $(name).value = joinValues(name, query[name]);
}

function readForm() {
  const next = { ...query, article: null };
  next.q = $("q").value.trim();
  next.from = $("from").value;
  next.to = $("to").value;
  next.sort = $("sort").value;
  next.interval = $("interval").value;
  for (const name of BOXED) {
    const values = splitValues(name, $(name).value);
    next[name] = name === "country" ? values.map((v) => v.toUpperCase()) : values;
  }
  return next;
}

// ---- results ----------------------------------------------------------------------------

let searching = null;

async function showResults() {
  searching?.abort();
  searching = new AbortController();
  const { signal } = searching;
  $("error").hidden = true;
  $("status").textContent = "Searching…";
  try {
    const page = await getJson(apiUrl(`${API}/articles`, pageParams(query)), signal);
    $("items").replaceChildren(...page.items.map(resultItem));
    nextCursor = page.next;
    total = page.total;
    showMoreButton();
    $("status").textContent = page.total === 1 ? "1 article" : `${page.total} articles`;
    $("status").dataset.total = page.total;
  } catch (error) {
    if (signal.aborted) return;
    $("items").replaceChildren();
    $("more").hidden = true;
    $("status").textContent = "";
    showError(error);
  }
}

// "More" while the api gives a cursor and the total is not all on the page yet.
function showMoreButton() {
  $("more").hidden = !nextCursor || $("items").children.length >= total;
}

function shown(id) {
  return document.querySelector(`#items [data-id="${CSS.escape(id)}"]`) !== null;
}

async function showMore() {
  const params = pageParams(query);
  params.set("cursor", nextCursor);
  $("more").disabled = true;
  try {
    const page = await getJson(apiUrl(`${API}/articles`, params));
    $("items").append(...page.items.filter((item) => !shown(item.id)).map(resultItem));
    nextCursor = page.next;
    showMoreButton();
  } catch (error) {
    showError(error);
  } finally {
    $("more").disabled = false;
  }
}

function showError(error) {
  $("error").textContent = String(error.message ?? error);
  $("error").hidden = false;
}

function articleLink(id) {
  return pageUrl({ ...query, article: id });
}

function resultItem(item, { fresh = false } = {}) {
  const countries = (item.countries ?? []).map((code) =>
    el("button", { type: "button", class: "chip", title: `Only articles about ${code}`,
      onclick: () => go(withValue(query, "country", code)) }, code));
  return el("li", { class: fresh ? "item fresh" : "item", "data-id": item.id },
    el("h3", {}, el("a", { href: articleLink(item.id), "data-article": item.id },
      item.title || "(no title)")),
    el("p", { class: "meta" },
      item.source || item.publisher || "unknown source", " · ",
      el("time", { datetime: item.published_at ?? "" }, formatDate(item.published_at)),
      item.language ? ` · ${item.language}` : "",
      typeof item.tone === "number" ? ` · tone ${item.tone.toFixed(1)}` : ""),
    el("p", { class: "snippet" }, markedText(item.snippet)),
    countries.length ? el("p", { class: "chips" }, countries) : null,
    storyLink(item, query));
}

// ---- the story view ---------------------------------------------------------------------

let storyShown = null;

async function showStory() {
  const view = $("story-view");
  const id = query.story.length === 1 ? query.story[0] : null;
  if (id === storyShown) return;
  storyShown = id;
  if (!id) {
    view.hidden = true;
    view.replaceChildren();
    return;
  }
  view.hidden = false;
  view.replaceChildren(el("p", {}, "Loading the story…"));
  try {
    const story = await getJson(`${API}/stories/${encodeURIComponent(id)}`);
    if (storyShown !== id) return;
    view.replaceChildren(...renderStory(story));
    if (story.id !== id) {
      // A merged story's old id: the view goes on under the story's own id.
      storyShown = story.id;
      go({ ...query, story: [story.id] }, { replace: true });
    }
  } catch (error) {
    if (storyShown !== id) return;
    view.replaceChildren(el("h2", { id: "story-headline" }, "Story not found"),
      el("p", { class: "error" }, String(error.message ?? error)));
  }
}


// ---- chart and facets -------------------------------------------------------------------

async function showChart() {
  const params = filterParams(query);
  params.set("interval", query.interval);
  try {
    const counts = await getJson(apiUrl(`${API}/counts`, params));
    drawChart($("chart"), $("chart-axis"), counts, (start, interval) =>
      go({ ...query, ...bucketRange(start, interval), article: null }));
    // Articles without a publication date have no bar: say how many.
    const undated = counts.undated ? ` (${counts.undated} undated, not shown)` : "";
    $("chart-caption").textContent = `Articles per ${counts.interval ?? query.interval}${undated}`;
  } catch {
    $("chart").replaceChildren();
    $("chart-axis").replaceChildren();
  }
}

async function showFacets() {
  await Promise.all([...document.querySelectorAll(".facet")].map(async (section) => {
    const facet = section.dataset.facet;
    const filter = FACETS[facet];
    const list = section.querySelector("ol");
    try {
      const params = filterParams(query);
      params.set("limit", "10");
      const top = await getJson(apiUrl(`${API}/top/${facet}`, params));
      list.replaceChildren(...top.items.map(({ value, count }) => el("li", {},
        el("button", { type: "button", class: "facet-value", "data-value": value,
          "aria-pressed": query[filter].includes(value) ? "true" : "false",
          onclick: () => go(query[filter].includes(value)
            ? withoutValue(query, filter, value) : withValue(query, filter, value)) },
          el("span", {}, value), el("span", { class: "count" }, count)))));
      const datalist = $(`${filter}-values`);
      datalist?.replaceChildren(...top.items.map(({ value }) => el("option", { value })));
    } catch {
      list.replaceChildren(el("li", { class: "none" }, "unavailable"));
    }
  }));
}

function showActiveFilters() {
  const chips = [];
  for (const name of REPEATABLE) {
    for (const value of query[name]) {
      chips.push(el("button", { type: "button", class: "chip active",
        "aria-label": `Remove filter ${name} ${value}`,
        onclick: () => go(withoutValue(query, name, value)) }, `${name}: ${value} ✕`));
    }
  }
  // The tone range has no box of its own (it comes from a link or an alert): a chip says it.
  for (const name of ["tone_min", "tone_max"]) {
    if (!query[name]) continue;
    chips.push(el("button", { type: "button", class: "chip active",
      "aria-label": `Remove filter ${name} ${query[name]}`,
      onclick: () => go({ ...query, [name]: "", article: null }) }, `${name}: ${query[name]} ✕`));
  }
  $("active-filters").replaceChildren(...chips);
}

// ---- live, export, article ----------------------------------------------------------------

function followLive() {
  live?.close();
  live = null;
  delete $("live").dataset.state;
  if (!$("live").checked) return;
  live = new EventSource(apiUrl(`${API}/stream`, filterParams(query)));
  // The state is on the switch, for the eye (CSS) and for the tests: "open" once connected.
  $("live").dataset.state = "connecting";
  live.onopen = () => { $("live").dataset.state = "open"; };
  live.onerror = () => {
    $("live").dataset.state = live?.readyState === 2 ? "closed" : "connecting";
  };
  // The api names its events `article`; a nameless one is taken too.
  live.addEventListener("article", addLive);
  live.onmessage = addLive;
}

function addLive(message) {
  let data;
  try { data = JSON.parse(message.data); } catch { return; }
  const item = data.article ? summaryOf(data) : data;
  if (!item?.id || shown(item.id)) return;
  $("items").prepend(resultItem(item, { fresh: true }));
  total += 1;
  $("status").dataset.total = total;
  $("status").textContent = `${total} article${total === 1 ? "" : "s"} (live)`;
}

// When the stream sends whole events: the fields a result line shows.
function summaryOf(event) {
  const article = event.article ?? {};
  const found = event.enrichment ?? {};
  return {
    id: event.id, title: article.title, source: event.source?.name, publisher: article.publisher,
    published_at: article.published_at, language: found.language?.code ?? article.language,
    snippet: (article.lead || article.text || "").slice(0, 240),
    countries: (found.countries ?? []).map((c) => c.alpha2), tone: found.tone?.tone,
    story_id: found.story?.id, story_size: found.story?.size,
  };
}

function showExportLink() {
  $("export").href = apiUrl(`${API}/export`, filterParams(query));
}

let articleShown = null;

async function showArticle() {
  const dialog = $("article");
  if (!query.article) {
    articleShown = null;
    if (dialog.open) dialog.close();
    return;
  }
  if (articleShown === query.article && dialog.open) return;
  articleShown = query.article;
  const body = $("article-body");
  body.replaceChildren(el("p", {}, "Loading…"));
  if (!dialog.open) dialog.showModal();
  try {
    const event = await getJson(`${API}/articles/${encodeURIComponent(query.article)}`);
    body.replaceChildren(...renderArticle(event, articleLink).filter(Boolean));
  } catch (error) {
    body.replaceChildren(el("h2", { id: "article-title" }, "Article not found"),
      el("p", { class: "error" }, String(error.message ?? error)));
  }
  $("article-close").focus();
}

// ---- putting it together ----------------------------------------------------------------

let shownFilters = null;

function show() {
  fillForm();
  showActiveFilters();
  showExportLink();
  const filters = `${pageParams(query)}|${query.interval}`;
  if (filters !== shownFilters) {
    shownFilters = filters;
    showResults();
    showChart();
    showFacets();
    followLive();
  }
  showStory();
  showArticle();
}

$("search").addEventListener("submit", (event) => {
  event.preventDefault();
  go(readForm());
});
for (const id of ["sort", "interval", "from", "to"]) {
  $(id).addEventListener("change", () => go(readForm()));
}
$("more").addEventListener("click", showMore);
setupAlerts({
  api: API,
  // What "Save as alert" saves: the form as typed, searched first so the results are it.
  applySearch: () => {
    const next = readForm();
    if (pageUrl(next) !== pageUrl(query)) go(next);
    return query;
  },
  runQuery: (saved) => go(searchOf(saved, query.interval)),
});
$("live").addEventListener("change", followLive);
$("article-close").addEventListener("click", () => $("article").close());
$("article").addEventListener("close", () => {
  if (query.article) go({ ...query, article: null });
});
// Links to an article open it in the dialog (a plain link still works in a new tab).
document.addEventListener("click", (event) => {
  const link = event.target.closest?.("a[data-article]");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  go({ ...query, article: link.dataset.article });
});
document.addEventListener("keydown", (event) => {
  const typing = /^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement?.tagName ?? "");
  if (event.key === "/" && !typing && !$("article").open) {
    event.preventDefault();
    $("q").focus();
  }
});
// Links to a story and back to all articles change the view in place.
document.addEventListener("click", (event) => {
  const link = event.target.closest?.("a[data-story], a[data-story-close]");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  const base = { ...readQuery(""), interval: query.interval };
  go(link.dataset.story ? { ...base, story: [link.dataset.story], sort: "oldest" } : base);
});
window.addEventListener("popstate", () => {
  query = readQuery(location.search);
  show();
});

show();
