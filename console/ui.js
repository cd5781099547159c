// DOM helpers. Data only ever goes into the page as text (textContent, attribute values):
// never as HTML.

const SVG = 'http://www.w3.org/2000/svg';

// el('p', {class: 'x', onclick: fn}, 'text', child, …)
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

function setAttrs(node, attrs) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, '');
    else node.setAttribute(name, String(value));
  }
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  append(node, children);
  return node;
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

export function say(text) {
  document.getElementById('status').textContent = text;
}

export function time(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function money(minor, currency, perMajor = 100) {
  if (minor === undefined || minor === null || Number.isNaN(Number(minor))) return '—';
  const major = Number(minor) / perMajor;
  return `${major.toFixed(perMajor === 1 ? 0 : perMajor === 1000 ? 3 : 2)} ${(currency || '').toUpperCase()}`.trim();
}

export function badge(text, kind = String(text)) {
  return el('span', { class: `badge badge-${kind.replace(/[^a-z_-]/gi, '')}` }, text);
}

// A table from rows, or a sentence when there are none (an empty table helps nobody).
export function table(caption, columns, rows, empty = 'None.') {
  if (!rows.length) return el('p', { class: 'empty' }, `${caption}: ${empty}`);
  return el('table', {},
    el('caption', {}, caption),
    el('thead', {}, el('tr', {}, columns.map((c) => el('th', { scope: 'col' }, c.title)))),
    el('tbody', {}, rows.map((row) => el('tr', {}, columns.map((c) => el('td', {}, c.cell(row)))))));
}

export function pre(value) {
  // Scrollable, so keyboard users can scroll it too.
  return el('pre', { tabindex: 0, class: 'json' }, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
}

// A labelled bar chart drawn as SVG elements: values with their labels, the numbers as text
// too (a chart is for looking; the numbers are for reading and for screen readers).
export function barChart(title, points, { height = 120, barWidth = 14, gap = 4 } = {}) {
  const max = Math.max(1, ...points.map((p) => p.value));
  const width = Math.max(1, points.length) * (barWidth + gap);
  const total = points.reduce((sum, p) => sum + p.value, 0);
  const chart = svg('svg', {
    viewBox: `0 0 ${width} ${height + 2}`, width, height: height + 2,
    role: 'img', 'aria-label': `${title}: ${total} in all; ${points.map((p) => `${p.label} ${p.value}`).join(', ')}`,
    class: 'chart',
  });
  points.forEach((p, i) => {
    const h = p.value === 0 ? 1 : Math.max(2, Math.round((p.value / max) * height));
    chart.append(svg('rect', {
      x: i * (barWidth + gap), y: height - h + 1, width: barWidth, height: h,
      class: p.value === 0 ? 'bar bar-zero' : 'bar',
    }, svg('title', {}, `${p.label}: ${p.value}`)));
  });
  return el('figure', { class: 'figure' }, chart, el('figcaption', {}, `${title} (max ${max}, total ${total})`));
}

// Horizontal bars for a few named values (workflows in flight, exceptions by class).
export function rowChart(title, points) {
  const max = Math.max(1, ...points.map((p) => p.value));
  const rowH = 20;
  const chart = svg('svg', {
    viewBox: `0 0 320 ${Math.max(1, points.length) * rowH}`, width: 320, height: Math.max(1, points.length) * rowH,
    role: 'img', 'aria-label': `${title}: ${points.map((p) => `${p.label} ${p.value}`).join(', ') || 'none'}`,
    class: 'chart',
  });
  points.forEach((p, i) => {
    const w = Math.round((p.value / max) * 150);
    chart.append(
      svg('text', { x: 0, y: i * rowH + 14, class: 'chart-label' }, p.label),
      svg('rect', { x: 150, y: i * rowH + 4, width: Math.max(1, w), height: 12, class: 'bar' }),
      svg('text', { x: 155 + w, y: i * rowH + 14, class: 'chart-label' }, String(p.value)));
  });
  return el('figure', { class: 'figure' }, chart, el('figcaption', {}, title));
}
