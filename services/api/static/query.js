// The whole view lives in the URL's query string, so a view can be bookmarked and shared:
// the API's own parameter names (q, from, to, source, language, country, entity, topic,
// place, story, tone_min, tone_max, sort; the repeatable ones repeated), plus `interval` for
// the chart, `limit` for the page size of the results and `article` for the open article. One
// `story` is the story view: its headline and sources above its articles.

export const REPEATABLE = ["source", "language", "country", "entity", "topic", "place", "story"];
const SINGLE = ["q", "from", "to", "tone_min", "tone_max", "sort"];

export function readQuery(search) {
  const params = new URLSearchParams(search);
  const query = {
    interval: params.get("interval") || "month",
    limit: params.get("limit") || "",
    article: params.get("article"),
  };
  for (const name of SINGLE) query[name] = params.get(name) || "";
  for (const name of REPEATABLE) query[name] = params.getAll(name).filter(Boolean);
  return query;
}

// The filters as API parameters (what /api/articles, /api/counts, /api/top, /api/export and
// /api/stream all take).
export function filterParams(query) {
  const params = new URLSearchParams();
  for (const name of SINGLE) if (query[name]) params.set(name, query[name]);
  for (const name of REPEATABLE) for (const value of query[name]) params.append(name, value);
  return params;
}

export function pageUrl(query) {
  const params = filterParams(query);
  if (query.interval && query.interval !== "month") params.set("interval", query.interval);
  if (query.limit) params.set("limit", query.limit);
  if (query.article) params.set("article", query.article);
  const text = params.toString();
  return text ? `?${text}` : location.pathname;
}

// What /api/articles takes: the filters and the page size (the other endpoints have no pages).
export function pageParams(query) {
  const params = filterParams(query);
  if (query.limit) params.set("limit", query.limit);
  return params;
}

export function apiUrl(path, params) {
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

// How a filter box holds several values: codes are split on commas and spaces ("KP, RU");
// source names and topic labels have both ("conflict, war and peace"), so they split on ";".
const SEPARATORS = { country: /[,\s]+/, language: /[,\s]+/, source: /;/, topic: /;/ };
const JOINERS = { country: ", ", language: ", ", source: "; ", topic: "; " };

export const BOXED = Object.keys(SEPARATORS);

export function splitValues(name, text) {
  return String(text).split(SEPARATORS[name]).map((v) => v.trim()).filter(Boolean);
}

export function joinValues(name, values) {
  return values.join(JOINERS[name]);
}

export function withValue(query, name, value) {
  const next = { ...query, article: null };
  next[name] = query[name].includes(value) ? query[name] : [...query[name], value];
  return next;
}

export function withoutValue(query, name, value) {
  const next = { ...query, article: null };
  next[name] = query[name].filter((v) => v !== value);
  return next;
}

// The filters an alert keeps (POST /api/alerts's `query`): dates, sort and paging are not
// among them, an alert looks at each article as it is enriched.
const ALERT_LISTS = { source: "sources", language: "languages", country: "countries",
  entity: "entities", topic: "topics", place: "places" };

function toneOf(text) {
  if (text === "" || text === null || text === undefined) return null;
  const number = Number(text);
  return Number.isFinite(number) ? number : text; // the api says what is wrong with it
}

export function alertQuery(query) {
  const saved = { q: query.q || null };
  for (const [name, key] of Object.entries(ALERT_LISTS)) saved[key] = [...query[name]];
  saved.tone_min = toneOf(query.tone_min);
  saved.tone_max = toneOf(query.tone_max);
  return saved;
}

// The search of an alert's query: the page's view of the same filters.
export function searchOf(saved, interval = "month") {
  const query = { interval, limit: "", article: null, from: "", to: "", sort: "",
    q: saved.q ?? "",
    tone_min: saved.tone_min === null || saved.tone_min === undefined ? "" : String(saved.tone_min),
    tone_max: saved.tone_max === null || saved.tone_max === undefined ? "" : String(saved.tone_max) };
  for (const name of REPEATABLE) query[name] = [];
  for (const [name, key] of Object.entries(ALERT_LISTS)) query[name] = [...(saved[key] ?? [])];
  return query;
}
