// The article view: the whole stored event of /api/articles/{id}, with what the enricher found
// in it laid over the text (entity mentions marked at their offsets), and its places, quotes,
// tone, topics, near-duplicate and story beside it.
import { el, formatDate } from "./dom.js";

export function safeHref(url) {
  // Only web links: a stored `javascript:` or `data:` URL must not become clickable.
  try {
    const parsed = new URL(String(url), location.href);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

export function renderArticle(event, articleLink) {
  const article = event.article ?? {};
  const found = event.enrichment ?? {};
  const url = article.canonical_url ?? event.source?.url ?? event.raw?.final_url;
  const href = url ? safeHref(url) : null;
  return [
    el("h2", { id: "article-title" }, article.title || "(no title)"),
    el("p", { class: "meta" },
      [event.source?.name, article.publisher].filter(Boolean).join(" · ") || "unknown source",
      " · ", formatDate(article.published_at),
      article.authors?.length ? ` · by ${article.authors.join(", ")}` : "",
      found.language ? ` · ${found.language.code}` : "",
      href ? [" · ", el("a", { href, rel: "noopener noreferrer", target: "_blank" }, "original")]
        : ""),
    countriesLine(found.countries ?? []),
    section("Tone", toneLine(found.tone)),
    section("Topics", topicList(found.topics ?? [])),
    section("Near-duplicate", duplicateLine(found, articleLink)),
    found.story ? section("Story", storyLine(found.story)) : null,
    el("h3", {}, "Text"),
    el("div", { class: "text", "data-testid": "article-text" },
      markedEntities(article.text ?? "", found.entities ?? [])),
    section("Entities", entityList(found.entities ?? [])),
    section("Quotes", quoteList(found.quotes ?? [])),
    section("Places", placeTable(found.places ?? [])),
    section("Keywords", (found.keywords ?? []).length
      ? el("p", {}, found.keywords.map((k) => k.text).join(", ")) : null),
  ];
}

function section(title, body) {
  return el("section", { class: "part" }, el("h3", {}, title),
    body ?? el("p", { class: "none" }, "none found"));
}

function countriesLine(countries) {
  if (!countries.length) return null;
  return el("p", { class: "chips" }, countries.map((c) => el("span", {
    class: c.focus ? "chip focus" : "chip", title: `${c.name}: ${c.count} mention(s)`,
  }, c.alpha2)));
}

function toneLine(tone) {
  if (!tone) return null;
  const word = tone.tone > 1 ? "positive" : tone.tone < -1 ? "negative" : "neutral";
  return el("p", { class: "tone" }, `${tone.tone.toFixed(2)} (${word}; `,
    `${tone.positive_pct.toFixed(1)}% positive, ${tone.negative_pct.toFixed(1)}% negative words, `,
    `${tone.lexicon})`);
}

function topicList(topics) {
  if (!topics.length) return null;
  return el("ul", { class: "topics" }, topics.map((t) =>
    el("li", {}, t.label, " ", el("small", {}, `${t.code} · ${Math.round(t.score * 100)}%`))));
}

function duplicateLine(found, articleLink) {
  if (!found.duplicate_of) return null;
  const similarity = found.similarity == null ? "" : ` (${Math.round(found.similarity * 100)}% alike)`;
  return el("p", {}, "Nearly the same as ",
    el("a", { href: articleLink(found.duplicate_of), "data-article": found.duplicate_of },
      found.duplicate_of), similarity);
}

// The story the article joined when it was enriched (the story view resolves an id merged
// into another story since).
function storyLine(story) {
  const size = `${story.size} article${story.size === 1 ? "" : "s"} when it joined`;
  return el("p", {}, el("a", { href: `?story=${encodeURIComponent(story.id)}&sort=oldest`,
    "data-story": story.id }, story.new ? "Started a story" : "Joined a story"), ` (${size})`);
}

// Entity mentions marked in the text at their offsets; overlapping mentions keep the first.
export function markedEntities(text, entities) {
  const spans = [];
  for (const entity of entities) {
    for (const [start, end] of entity.offsets ?? []) spans.push({ start, end, entity });
  }
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const out = [];
  let at = 0;
  for (const { start, end, entity } of spans) {
    if (start < at || end > text.length || end <= start) continue;
    out.push(text.slice(at, start));
    out.push(el("mark", { class: `entity ${entity.type}`, title: `${entity.type}: ${entity.text}` },
      text.slice(start, end)));
    at = end;
  }
  out.push(text.slice(at));
  return out;
}

function entityList(entities) {
  if (!entities.length) return null;
  return el("ul", { class: "entities" }, entities.map((e) => el("li", {},
    el("span", { class: `entity ${e.type}` }, e.text), " ",
    el("small", {}, `${e.type} · ${e.count}×`))));
}

function quoteList(quotes) {
  if (!quotes.length) return null;
  return el("div", { class: "quotes" }, quotes.map((q) => el("figure", { class: "quote" },
    el("blockquote", {}, q.text),
    el("figcaption", {}, q.speaker ? `— ${q.speaker}` : "— speaker not stated",
      el("small", {}, ` (${q.kind})`)))));
}

function placeTable(places) {
  if (!places.length) return null;
  const coordinate = (value) => (value == null ? "—" : value.toFixed(4));
  return el("table", { class: "places" },
    el("thead", {}, el("tr", {}, ["Place", "Kind", "Country", "Latitude", "Longitude"]
      .map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, places.map((p) => el("tr", {},
      el("td", {}, p.name), el("td", {}, p.kind), el("td", {}, p.country),
      el("td", {}, coordinate(p.lat)), el("td", {}, coordinate(p.lon))))));
}
