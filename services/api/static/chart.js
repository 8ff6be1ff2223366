// Counts over time as a plain SVG bar chart (no library): one <rect> per bucket of
// /api/counts, each carrying its bucket's start and count, so what is drawn can be checked
// against the API.
import { el, svg } from "./dom.js";

const WIDTH = 800;
const HEIGHT = 160;

// The axis labels are HTML beside the SVG: the SVG stretches to its box, and text in it would
// stretch with it.
export function drawChart(node, axis, counts, onPick) {
  node.replaceChildren();
  axis.replaceChildren();
  const buckets = counts.buckets ?? [];
  node.setAttribute("viewBox", `0 0 ${WIDTH} ${HEIGHT}`);
  node.setAttribute("preserveAspectRatio", "none");
  node.dataset.interval = counts.interval ?? "";
  if (!buckets.length) {
    axis.append(el("span", {}, "no articles to count"));
    return;
  }
  const most = Math.max(1, ...buckets.map((b) => b.count));
  const slot = WIDTH / buckets.length;
  const gap = slot > 6 ? Math.min(4, slot * 0.2) : 0;
  // A few buckets must not become slabs as wide as the chart.
  const barWidth = Math.min(Math.max(slot - gap, 0.5), 60);
  buckets.forEach((bucket, index) => {
    const height = (bucket.count / most) * (HEIGHT - 4);
    const label = `${bucket.start}: ${bucket.count} article${bucket.count === 1 ? "" : "s"}`;
    const bar = svg("rect", {
      class: "bar",
      x: index * slot + (slot - barWidth) / 2,
      y: HEIGHT - height,
      width: barWidth,
      height: Math.max(height, bucket.count ? 1 : 0),
      "data-start": bucket.start,
      "data-count": bucket.count,
    }, svg("title", {}, label));
    // The whole slot is the click target, so thin or empty bars can still be picked.
    const hit = svg("rect", { class: "hit", x: index * slot, y: 0, width: slot, height: HEIGHT });
    hit.append(svg("title", {}, label));
    hit.addEventListener("click", () => onPick(bucket.start, counts.interval));
    node.append(hit, bar);
  });
  const first = buckets[0].start;
  const last = buckets[buckets.length - 1].start;
  axis.append(el("span", {}, String(first)), el("span", {}, `highest: ${most}`),
    el("span", {}, String(last)));
}

// The date range a bucket covers, as from/to filters (to is inclusive: the bucket's last day).
export function bucketRange(start, interval) {
  const from = new Date(`${String(start).slice(0, 10)}T00:00:00Z`);
  const end = new Date(from);
  if (interval === "day") end.setUTCDate(end.getUTCDate() + 1);
  else if (interval === "week") end.setUTCDate(end.getUTCDate() + 7);
  else end.setUTCMonth(end.getUTCMonth() + 1);
  end.setUTCDate(end.getUTCDate() - 1);
  return { from: from.toISOString().slice(0, 10), to: end.toISOString().slice(0, 10) };
}
