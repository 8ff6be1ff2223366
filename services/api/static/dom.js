// Building DOM from API data without ever parsing API text as HTML: every string goes in as
// a text node. The one exception is the snippet's <mark>…</mark>, rebuilt as real elements.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const SVG = "http://www.w3.org/2000/svg";

export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  append(node, children);
  return node;
}

// The snippet is HTML-escaped text (&amp; &lt; &gt;) with <mark> and </mark> around the
// matches: split on exactly those two tokens and unescape the rest into text nodes, so
// "<script>" in an article shows as "<script>" and is never parsed.
const ENTITIES = { "&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"', "&#x27;": "'" };

function unescaped(text) {
  return text.replace(/&(lt|gt|amp|quot|#x27);/g, (entity) => ENTITIES[entity]);
}

export function markedText(snippet) {
  const out = document.createDocumentFragment();
  let marked = null;
  for (const part of String(snippet ?? "").split(/(<mark>|<\/mark>)/)) {
    if (part === "<mark>") { marked = document.createElement("mark"); out.append(marked); }
    else if (part === "</mark>") marked = null;
    else if (part) (marked ?? out).append(document.createTextNode(unescaped(part)));
  }
  return out;
}

export function formatDate(iso) {
  if (!iso) return "no date";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return date.toISOString().slice(0, 10);
}
