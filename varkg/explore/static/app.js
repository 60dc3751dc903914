// varkg explore: search, neighbourhood graph (SVG, small force layout), expand by click, properties.
"use strict";
const state = { nodes: new Map(), edges: new Map(), center: null };
const svg = document.getElementById("graph");
const NS = "http://www.w3.org/2000/svg";

async function api(path, params) {
  const r = await fetch(path + "?" + new URLSearchParams(params));
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}
function status(msg) { document.getElementById("status").textContent = msg; }

document.getElementById("search").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const q = document.getElementById("q").value;
  const ul = document.getElementById("results");
  ul.innerHTML = "";
  try {
    const hits = await api("/api/search", { q });
    status(hits.length + " result(s)");
    for (const h of hits) {
      const li = document.createElement("li");
      li.dataset.key = h.type + ":" + h.id;
      li.innerHTML = `<span class="type">${h.type}</span> ${escape(h.caption)}`;
      li.onclick = () => open(h.type, h.id, true);
      ul.appendChild(li);
    }
    if (hits.length && hits[0].exact) open(hits[0].type, hits[0].id, true);
  } catch (e) { status("error: " + e.message); }
});

function escape(s) { return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c])); }

async function open(type, id, reset) {
  if (reset) { state.nodes.clear(); state.edges.clear(); }
  await expand(type, id);
  await showProps(type, id);
}

async function expand(type, id) {
  status("loading " + type + " " + id + " ...");
  const g = await api("/api/neighbours", { type, id, limit: 40 });
  const c = state.nodes.get(g.center);
  const cx = c ? c.x : 400, cy = c ? c.y : 300;
  for (const n of g.nodes) {
    if (!state.nodes.has(n.key)) {
      const a = Math.random() * 2 * Math.PI;
      state.nodes.set(n.key, { ...n, x: cx + 80 * Math.cos(a), y: cy + 80 * Math.sin(a), vx: 0, vy: 0 });
    }
  }
  for (const e of g.edges) state.edges.set(e.source + "|" + e.type + "|" + e.target, e);
  state.center = g.center;
  state.nodes.get(g.center).expanded = true;
  layout(300);
  draw();
  status(state.nodes.size + " nodes, " + state.edges.size + " edges");
}

function layout(iters) {
  const nodes = [...state.nodes.values()];
  const box = svg.getBoundingClientRect();
  const W = box.width || 800, H = box.height || 600;
  for (let it = 0; it < iters; it++) {
    for (const a of nodes) { a.vx = 0; a.vy = 0; }
    for (let i = 0; i < nodes.length; i++) for (let j = i + 1; j < nodes.length; j++) {
      const a = nodes[i], b = nodes[j];
      let dx = a.x - b.x, dy = a.y - b.y, d2 = dx * dx + dy * dy + 0.01;
      const f = 300 / d2;
      a.vx += dx * f; a.vy += dy * f; b.vx -= dx * f; b.vy -= dy * f;
    }
    for (const e of state.edges.values()) {
      const a = state.nodes.get(e.source), b = state.nodes.get(e.target);
      if (!a || !b) continue;
      const dx = b.x - a.x, dy = b.y - a.y, d = Math.sqrt(dx * dx + dy * dy) + 0.01;
      const f = (d - 70) * 0.01;
      a.vx += dx / d * f * 10; a.vy += dy / d * f * 10; b.vx -= dx / d * f * 10; b.vy -= dy / d * f * 10;
    }
    for (const a of nodes) {
      a.vx += (W / 2 - a.x) * 0.01; a.vy += (H / 2 - a.y) * 0.01;
      a.x += Math.max(-10, Math.min(10, a.vx)); a.y += Math.max(-10, Math.min(10, a.vy));
      a.x = Math.max(20, Math.min(W - 20, a.x)); a.y = Math.max(20, Math.min(H - 20, a.y));
    }
  }
}

function draw() {
  svg.innerHTML = "";
  const ge = document.createElementNS(NS, "g");
  for (const e of state.edges.values()) {
    const a = state.nodes.get(e.source), b = state.nodes.get(e.target);
    if (!a || !b) continue;
    const g = document.createElementNS(NS, "g"); g.setAttribute("class", "edge"); g.dataset.type = e.type;
    const l = document.createElementNS(NS, "line");
    l.setAttribute("x1", a.x); l.setAttribute("y1", a.y); l.setAttribute("x2", b.x); l.setAttribute("y2", b.y);
    const t = document.createElementNS(NS, "text"); t.setAttribute("x", (a.x + b.x) / 2); t.setAttribute("y", (a.y + b.y) / 2);
    t.textContent = e.type;
    g.append(l, t); ge.appendChild(g);
  }
  svg.appendChild(ge);
  for (const n of state.nodes.values()) {
    const g = document.createElementNS(NS, "g");
    g.setAttribute("class", "node" + (n.key === state.center ? " center" : ""));
    g.dataset.key = n.key; g.dataset.type = n.type; g.dataset.id = n.id;
    const c = document.createElementNS(NS, "circle");
    c.setAttribute("cx", n.x); c.setAttribute("cy", n.y); c.setAttribute("r", n.expanded ? 12 : 8);
    c.setAttribute("fill", n.color || "#aaa");
    const t = document.createElementNS(NS, "text"); t.setAttribute("x", n.x + 13); t.setAttribute("y", n.y + 4);
    t.textContent = n.caption;
    const title = document.createElementNS(NS, "title"); title.textContent = n.type + " " + n.id;
    g.append(c, t, title);
    g.addEventListener("click", async () => { await expand(n.type, n.id); await showProps(n.type, n.id); });
    svg.appendChild(g);
  }
}

async function showProps(type, id) {
  const d = await api("/api/node", { type, id });
  let h = `<div class="type">${escape(d.type)}</div><h4 id="prop-title">${escape(d.caption)}</h4><table class="props">`;
  for (const [k, v] of Object.entries(d.properties)) {
    const val = Array.isArray(v) ? (v.length > 8 ? `[${v.length} values]` : v.join(", ")) : v;
    h += `<tr><td>${escape(k)}</td><td>${escape(val)}</td></tr>`;
  }
  h += "</table>";
  if (d.causal.length) {
    h += "<h4>Causal evidence</h4><table class='props'>";
    for (const c of d.causal) h += `<tr><td>${escape(c.method)}</td><td>${escape(c.other_type)} ${escape(c.other)} est=${c.estimate ?? ""} p=${c.pvalue ?? ""} PP.H4=${c.pp_h4 ?? ""}</td></tr>`;
    h += "</table>";
  }
  document.getElementById("props").innerHTML = h;
}
