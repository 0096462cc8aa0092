// synod lin --html: draws one history's linearizability check from the JSON in #data.
// Self-contained: no network, no libraries. Only the operations in view are drawn, so keys
// with thousands of operations stay quick.
"use strict";

const DATA = JSON.parse(document.getElementById("data").textContent);
const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const LANE = 28, BAR = 18, TOP = 10, ROWS_STEP = 400;

const view = { key: null, k: null, scale: 1, selected: null, rows: 0 };

function el(tag, attrs, text) {
  const e = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function keyLabel(k) { return k.key === null ? "(one object)" : JSON.stringify(k.key); }
function lines(op) { return op[2] === null ? `${op[1]}..` : `${op[1]}..${op[2]}`; }
function opText(op) { return `${op[3]} -> ${op[4]}`; }

// ---- header and key list ----

function header() {
  $("file").textContent = DATA.name;
  const v = $("verdict");
  v.textContent = DATA.verdict;
  v.className = "badge " + ({ "linearizable": "linearizable", "NOT linearizable": "not" }[DATA.verdict] || "unknown");
  const keys = DATA.keys.length;
  $("facts").textContent = `${DATA.operations} operations · ${keys} ${keys === 1 ? "key" : "keys"} · model ${DATA.model} · ` +
    `checked in ${DATA.tookMs.toFixed(2)} ms · ${DATA.steps} search steps · search structures at most ${DATA.memory}`;
  const nav = $("keys");
  DATA.keys.forEach((k, i) => {
    const b = el("button", { "data-key": i, title: k.statusText });
    b.append(el("span", { class: "dot " + k.status }), el("span", { class: "k" }, keyLabel(k)),
      el("span", { class: "n" }, `${k.ops.length} ops`));
    b.addEventListener("click", () => selectKey(i));
    nav.append(b);
  });
}

// ---- one key ----

function prepare(k) {
  // Lanes: one per client; x: the order of this key's invocations and returns.
  const clients = [...new Set(k.ops.map((o) => o[0]))].sort((a, b) => a - b);
  const lane = new Map(clients.map((c, i) => [c, i]));
  const points = [...new Set(k.ops.flatMap((o) => (o[2] === null ? [o[1]] : [o[1], o[2]])))].sort((a, b) => a - b);
  const rank = new Map(points.map((p, i) => [p, i]));
  const end = points.length; // where operations that never returned are drawn to
  const x0 = k.ops.map((o) => rank.get(o[1]));
  const x1 = k.ops.map((o) => (o[2] === null ? end : rank.get(o[2])));
  const step = new Array(k.ops.length).fill(-1);
  k.order.forEach((o, i) => { step[o] = i; });
  // A point for each step of the order, in its operation's interval and after the previous
  // one (the earliest such points; the order is a linearization, so they exist).
  const eps = 0.8 / (k.order.length + 1);
  let last = -1;
  const at = k.order.map((o) => {
    last = Math.min(Math.max(x0[o] + eps, last + eps), x1[o] - eps);
    return last;
  });
  const role = new Array(k.ops.length).fill("");
  if (k.blocked !== null) role[k.blocked] = "blocked";
  for (const [o, possible] of k.candidates) if (o !== null && o !== k.blocked) role[o] = "candidate";
  // Operations sorted by start, for drawing only what is in view.
  const byStart = k.ops.map((_, i) => i).sort((a, b) => x0[a] - x0[b]);
  let maxLen = 0;
  for (let i = 0; i < k.ops.length; i++) maxLen = Math.max(maxLen, x1[i] - x0[i]);
  return { clients, lane, end, x0, x1, step, at, role, byStart, maxLen };
}

function selectKey(i) {
  $("tip").hidden = true;
  view.key = i;
  view.k = DATA.keys[i];
  view.geo = prepare(view.k);
  view.selected = null;
  document.querySelectorAll("nav#keys button").forEach((b) => b.classList.toggle("selected", +b.dataset.key === i));
  const k = view.k;
  $("key-name").textContent = k.key === null ? "the history" : `key ${JSON.stringify(k.key)}`;
  const s = $("key-status");
  s.textContent = { linearizable: "linearizable", not: "NOT linearizable", unknown: "unknown", skipped: "not decided" }[k.status];
  s.className = "badge " + k.status;
  $("key-facts").textContent = `${k.ops.length} operations · ${view.geo.clients.length} clients · ${k.steps} steps · ${k.memory}`;
  $("goto-blocked").hidden = k.blocked === null;
  legend();
  lanes();
  fit();
  why();
  orderTable();
  if (k.blocked !== null) showBlocked();
}

// The moment of truth of a refuted key: the last operations of the prefix, the candidates
// and the operation that cannot be placed, up to its return.
function showBlocked() {
  const k = view.k, g = view.geo, t = $("timeline");
  const near = [k.blocked, ...k.candidates.map((c) => c[0]).filter((o) => o !== null), ...k.order.slice(-6)];
  let a = Math.min(...near.map((o) => g.x0[o]));
  const b = g.x1[k.blocked] + 3;
  a = Math.max(0, Math.min(a, b - 24) - 2);
  view.scale = Math.max(view.scale, (t.clientWidth - 20) / (b - a + 1));
  draw();
  t.scrollLeft = 10 + a * view.scale;
  // Scroll down only as far as the blocked operation's lane needs: the lanes above it hold
  // the prefix.
  const y = TOP + g.lane.get(k.ops[k.blocked][0]) * LANE;
  t.scrollTop = Math.max(0, y + 3 * LANE - t.clientHeight);
  draw();
}

function legend() {
  const k = view.k, items = [];
  const add = (color, border, text, dash) => items.push(`<span><i style="background:${color};border:1.5px ${dash ? "dashed" : "solid"} ${border}"></i>${text}</span>`);
  const placed = k.status === "linearizable" ? "in the linearization (dot: where it takes effect, # its place)" : "in the longest linearizable prefix";
  add("var(--lin-soft)", "var(--lin)", placed);
  add("#f2f3f5", "var(--idle)", "not placed");
  add("#fff", "var(--muted)", "indefinite (may or may not have taken effect)", true);
  if (k.blocked !== null) {
    add("var(--bad-soft)", "var(--bad)", "cannot be placed");
    add("#fff1dc", "var(--cand)", "tried next, leads nowhere");
  }
  $("legend").innerHTML = items.join("");
}

function lanes() {
  const box = $("lanes");
  box.innerHTML = "";
  view.geo.clients.forEach((c, i) => {
    const d = el("div", {}, `client ${c}`);
    d.style.top = `${TOP + i * LANE + (LANE - 16) / 2}px`;
    box.append(d);
  });
}

function fit() {
  const width = $("timeline").clientWidth - 20;
  view.scale = Math.max(0.05, width / (view.geo.end + 1));
  draw();
  $("timeline").scrollLeft = 0;
}

function zoom(factor, anchorPx) {
  const t = $("timeline");
  const anchor = anchorPx === undefined ? t.clientWidth / 2 : anchorPx;
  const at = (t.scrollLeft + anchor) / view.scale;
  view.scale = Math.min(400, Math.max(0.02, view.scale * factor));
  draw();
  t.scrollLeft = at * view.scale - anchor;
  draw();
}

let pending = false;
function drawSoon() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => { pending = false; draw(); });
}

function draw() {
  const k = view.k, g = view.geo, t = $("timeline"), svg = $("svg");
  const X = (x) => 10 + x * view.scale;
  const width = X(g.end + 1) + 10, height = TOP * 2 + g.clients.length * LANE;
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.dataset.lanes = g.clients.length;
  $("lanes").scrollTop = t.scrollTop;
  const lo = (t.scrollLeft - 200 - 10) / view.scale, hi = (t.scrollLeft + t.clientWidth + 200) / view.scale;
  const frag = document.createDocumentFragment();
  g.clients.forEach((_, i) => {
    const y = TOP + i * LANE + LANE / 2;
    frag.append(el("svg:line", { class: "lane-line", x1: 0, x2: width, y1: y, y2: y }));
  });
  // Bars in view: those starting before `hi` and ending after `lo`.
  let shown = 0;
  for (const o of g.byStart) {
    if (g.x0[o] > hi) break;
    if (g.x1[o] < lo) continue;
    frag.append(bar(o, X));
    shown++;
  }
  // The linearization: a dot where each operation takes effect, joined in order.
  const pts = [];
  k.order.forEach((o, i) => {
    const x = g.at[i];
    if (x < lo || x > hi) return;
    pts.push([X(x), TOP + g.lane.get(k.ops[o][0]) * LANE + LANE / 2, i]);
  });
  if (pts.length > 1) {
    frag.append(el("svg:polyline", { class: "chain", points: pts.map((p) => `${p[0]},${p[1]}`).join(" ") }));
  }
  const label = view.scale * (g.x1[0] - g.x0[0]) > 0 && view.scale > 6;
  for (const [x, y, i] of pts) {
    frag.append(el("svg:circle", { class: "point", cx: x, cy: y, r: 3.5, "data-step": i }));
    if (label) frag.append(el("svg:text", { class: "point-label", x: x + 4, y: y - 7 }, `#${i + 1}`));
  }
  if (k.blocked !== null && k.ops[k.blocked][2] !== null) {
    const x = X(g.x1[k.blocked]);
    frag.append(el("svg:line", { class: "cut", x1: x, x2: x, y1: 0, y2: height }));
  }
  svg.replaceChildren(frag);
  svg.dataset.shown = shown;
  // The bars under the pointer were replaced: their tooltip would never be taken down.
  $("tip").hidden = true;
}

function bar(o, X) {
  const k = view.k, g = view.geo, op = k.ops[o];
  const placed = g.step[o] >= 0;
  const cls = ["bar", placed ? "placed" : "unplaced"];
  if (op[5]) cls.push("pending");
  if (g.role[o]) cls.push(g.role[o]);
  if (view.selected === o) cls.push("selected");
  const y = TOP + g.lane.get(op[0]) * LANE + (LANE - BAR) / 2;
  const x = X(g.x0[o]) + 1, w = Math.max(3, X(g.x1[o]) - X(g.x0[o]) - 2);
  const grp = el("svg:g", { class: cls.join(" "), "data-op": o });
  grp.append(el("svg:rect", { x, y, width: w, height: BAR }));
  if (w > 34) {
    const text = opText(op);
    const fits = Math.floor((w - 8) / 6.6);
    grp.append(el("svg:text", { x: x + 4, y: y + BAR / 2 + 1 }, text.length > fits ? text.slice(0, Math.max(1, fits - 1)) + "…" : text));
  } else if (g.role[o] === "blocked") {
    // Too narrow for its text, and the operation the page is about: label it on its left.
    grp.append(el("svg:text", { x: x - 5, y: y + BAR / 2 + 1, "text-anchor": "end" }, opText(op)));
  }
  grp.addEventListener("mousemove", (e) => tip(e, o));
  grp.addEventListener("mouseleave", () => { $("tip").hidden = true; });
  grp.addEventListener("click", () => selectOp(o, true));
  return grp;
}

function describe(o) {
  const k = view.k, g = view.geo, op = k.ops[o];
  const out = [`client ${op[0]}: ${op[3]}`, `result: ${op[4]}${op[5] ? "  (indefinite)" : ""}`, `lines ${lines(op)}`];
  const s = g.step[o];
  if (s >= 0) {
    out.push(`#${s + 1} of ${k.order.length} in the ${k.status === "linearizable" ? "linearization" : "prefix"}`);
    if (k.states.length) out.push(`state after: ${k.states[s]}`);
  } else if (g.role[o] === "blocked") {
    out.push(k.neverPossible ? "possible in no reachable state" : `cannot take effect in ${k.stateAfter} before it returns`);
  } else if (g.role[o] === "candidate") {
    const c = k.candidates.find((c) => c[0] === o);
    out.push(c && c[1] ? "possible next, but nothing linearizable follows" : `impossible in state ${k.stateAfter}`);
  } else {
    out.push(op[5] ? "not used: it may never have taken effect" : "not placed");
  }
  return out.join("\n");
}

function tip(e, o) {
  const t = $("tip");
  t.textContent = describe(o);
  t.hidden = false;
  const x = Math.min(e.clientX + 14, window.innerWidth - t.offsetWidth - 8);
  const y = Math.min(e.clientY + 14, window.innerHeight - t.offsetHeight - 8);
  t.style.left = `${x}px`;
  t.style.top = `${y}px`;
}

function selectOp(o, fromTimeline) {
  view.selected = o;
  draw();
  document.querySelectorAll("#order-rows tr.selected").forEach((r) => r.classList.remove("selected"));
  const s = view.geo.step[o];
  if (s >= 0) {
    while (view.rows <= s) moreRows();
    const row = document.querySelector(`#order-rows tr[data-step="${s}"]`);
    if (row) {
      row.classList.add("selected");
      if (fromTimeline) row.scrollIntoView({ block: "nearest" });
    }
  }
  if (!fromTimeline) gotoOp(o, false);
}

function gotoOp(o, select) {
  const g = view.geo, t = $("timeline");
  // Zoom so that the operation is comfortably wide, then centre it.
  const span = Math.max(1, g.x1[o] - g.x0[o]);
  const want = Math.min(t.clientWidth * 0.35, 600) / span;
  if (view.scale < want) view.scale = want;
  draw();
  const mid = 10 + ((g.x0[o] + g.x1[o]) / 2) * view.scale;
  t.scrollLeft = mid - t.clientWidth / 2;
  const y = TOP + g.lane.get(view.k.ops[o][0]) * LANE;
  t.scrollTop = Math.max(0, y - t.clientHeight / 2);
  if (select) view.selected = o;
  draw();
}

// ---- the explanation and the order ----

function opLine(o, cls, note) {
  const k = view.k, op = k.ops[o];
  const d = el("div", { class: "op " + cls, "data-op": o }, `${lines(op).padEnd(14)} client ${op[0]}: ${opText(op)}${note ? "   " + note : ""}`);
  d.addEventListener("click", () => gotoOp(o, true));
  return d;
}

function why() {
  const k = view.k, box = $("why");
  box.innerHTML = "";
  const h = el("h3");
  const p = (html) => { const e = el("p"); e.innerHTML = html; box.append(e); };
  const st = (s) => `<span class="state">${escapeHtml(s)}</span>`;
  box.append(h);
  if (k.status === "linearizable") {
    h.textContent = "Linearizable";
    p(`The search found an order of all ${k.order.length} operations that took effect, each placed between its invocation and its return, that explains every result. The dots on the timeline are one choice of the moments they take effect; the table lists them with the state after each.`);
    p(`Initial state: ${st(k.initial)}.`);
  } else if (k.status === "not" && k.neverPossible) {
    h.textContent = "Not linearizable: an operation that is never possible";
    p("This operation is possible in no state that any order of this key's operations reaches, so no linearization can include it:");
    box.append(opLine(k.blocked, "blocked"));
    p(`The ${k.neverPossible.reachable} reachable states include ${k.neverPossible.examples.map(st).join(", ")}.`);
  } else if (k.status === "not") {
    h.textContent = "Not linearizable";
    p(`The longest linearizable prefix the search found has ${k.order.length} operations (blue, numbered on the timeline), from ${st(k.initial)} to ${st(k.stateAfter)}.`);
    const b = k.ops[k.blocked];
    p(`Then this operation must take effect before it returns at line ${b[2]} (the dashed red line):`);
    box.append(opLine(k.blocked, "blocked"));
    const self = k.candidates.find((c) => c[0] === k.blocked);
    const others = k.candidates.filter((c) => c[0] !== null && c[0] !== k.blocked);
    if (self && !self[1]) p(`It is impossible in state ${st(k.stateAfter)}.`);
    else if (self) p("It is possible there, but nothing linearizable follows it.");
    if (others.length) {
      p(`Nor can any other operation invoked by then come first (${others.length}):`);
      for (const [o, possible] of others) {
        box.append(opLine(o, "cand", possible ? "possible, but nothing linearizable follows" : `impossible in state ${k.stateAfter}`));
      }
    } else {
      p("No other operation was invoked by then, so nothing else can come first.");
    }
  } else if (k.status === "unknown") {
    h.textContent = "Unknown";
    p(`The search of this key gave up: ${escapeHtml(k.statusText.replace(/^unknown: /, ""))}. It found no violation; the longest linearizable prefix it reached is shown.`);
  } else {
    h.textContent = "Not decided";
    p("Another key was refuted first, so the verdict did not need this one; the search stopped here. The prefix it had reached is shown.");
  }
  if (k.explanation) {
    const d = el("details");
    d.append(el("summary", {}, "the explanation as synod lin prints it"), el("pre", {}, k.explanation));
    box.append(d);
  }
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
}

function orderTable() {
  const k = view.k;
  $("order-title").textContent = k.status === "linearizable"
    ? `The linearization: ${k.order.length} operations, in order, with the state after each`
    : `The longest linearizable prefix: ${k.order.length} operations, with the state after each`;
  $("order-rows").innerHTML = "";
  view.rows = 0;
  moreRows();
}

function moreRows() {
  const k = view.k, body = $("order-rows"), frag = document.createDocumentFragment();
  const upto = Math.min(k.order.length, view.rows + ROWS_STEP);
  for (let i = view.rows; i < upto; i++) {
    const o = k.order[i], op = k.ops[o];
    const tr = el("tr", { "data-step": i, class: op[5] ? "pending" : "" });
    for (const text of [i + 1, op[0], op[3], op[4], k.states.length ? k.states[i] : "", lines(op)]) {
      tr.append(el("td", { title: String(text) }, String(text)));
    }
    tr.addEventListener("click", () => selectOp(o, false));
    frag.append(tr);
  }
  body.append(frag);
  view.rows = upto;
  $("more-rows").hidden = view.rows >= k.order.length;
}

// ---- wiring ----

header();
$("timeline").addEventListener("scroll", drawSoon);
$("timeline").addEventListener("wheel", (e) => {
  if (!e.ctrlKey) return;
  e.preventDefault();
  zoom(e.deltaY < 0 ? 1.25 : 0.8, e.clientX - $("timeline").getBoundingClientRect().left);
}, { passive: false });
$("zoom-in").addEventListener("click", () => zoom(1.6));
$("zoom-out").addEventListener("click", () => zoom(1 / 1.6));
$("zoom-fit").addEventListener("click", fit);
$("goto-blocked").addEventListener("click", () => gotoOp(view.k.blocked, true));
$("more-rows").addEventListener("click", moreRows);
window.addEventListener("resize", drawSoon);
document.addEventListener("keydown", (e) => {
  if (e.target.tagName === "INPUT") return;
  if (e.key === "+" || e.key === "=") zoom(1.6);
  else if (e.key === "-") zoom(1 / 1.6);
  else if (e.key === "0") fit();
  else if (e.key === "b" && view.k.blocked !== null) gotoOp(view.k.blocked, true);
});
{
  const first = (s) => DATA.keys.findIndex((k) => k.status === s);
  const start = [first("not"), first("unknown")].find((i) => i >= 0);
  selectKey(start === undefined ? 0 : start);
}
// For tests and curious readers: the page's state.
window.synodLin = { data: DATA, view, selectKey, selectOp, gotoOp, zoom, fit };
