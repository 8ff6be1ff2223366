// A story on the page: the "N more sources" link of a result in one, and the story view's
// head (headline, first and last seen, counts, sources) above the story's articles.
import { el, formatDate } from "./dom.js";
import { pageUrl, readQuery } from "./query.js";

// "N more sources": the other sources of the article's story, a link to the story view.
export function storyLink(item, query) {
  if (!item.story_id || !(item.story_size > 1) || query.story.includes(item.story_id)) return null;
  const sources = item.story_sources ?? 1;
  const text = sources > 1
    ? `${sources - 1} more source${sources === 2 ? "" : "s"}`
    : `${item.story_size - 1} more article${item.story_size === 2 ? "" : "s"}`;
  const story = { ...readQuery(""), story: [item.story_id], sort: "oldest" };
  return el("p", { class: "story-link" },
    el("a", { href: pageUrl(story), "data-story": item.story_id,
      title: `The story: ${item.story_size} articles` }, text));
}

export function renderStory(story) {
  const oneDay = formatDate(story.first_seen) === formatDate(story.last_seen);
  return [
    el("p", { class: "story-label" }, "Story"),
    el("h2", { id: "story-headline" }, story.headline || "(no headline)"),
    el("p", { class: "meta" },
      el("time", { datetime: story.first_seen, "data-testid": "story-first-seen" },
        formatDate(story.first_seen)),
      oneDay ? "" : [" – ", el("time", { datetime: story.last_seen,
        "data-testid": "story-last-seen" }, formatDate(story.last_seen))],
      ` · ${story.article_count} article${story.article_count === 1 ? "" : "s"}`,
      ` · ${story.source_count} source${story.source_count === 1 ? "" : "s"}`,
      story.languages.length ? ` · ${story.languages.join(", ")}` : ""),
    el("p", { class: "chips story-sources", "aria-label": "Sources" },
      story.sources.map((source) => el("span", { class: "chip" }, source))),
    el("p", {}, el("a", { href: pageUrl(readQuery("")), "data-story-close": "" },
      "← all articles")),
  ];
}
