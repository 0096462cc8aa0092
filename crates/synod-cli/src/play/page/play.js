// synod play: the page. The simulation runs on the server (synod's own simulator and
// protocols); this script advances its virtual time in step with the wall clock times the
// speed, applies the player's actions, and draws what changed. An exported replay embeds the
// recorded game (window.SYNOD_REPLAY) and plays it with no server. No build step, no libraries.
"use strict";

const COLOURS = ["red", "green", "blue", "orange", "purple"];
const INTRO = {
  paxos: `<p>Single-decree Paxos: every node is a proposer, an acceptor and a learner, and they must agree on one value. If nothing was accepted before, a proposer proposes its own colour. A ballot <code>2.3</code> is round 2 of node 3 (blue); messages take the colour of their ballot's proposer. A node wears the crown while it is in phase 2 (it thinks it leads). Under each node: the ballot it promised and the proposal it accepted.</p>`,
  raft: `<p>Raft: one leader per term replicates a log; an entry stored on a majority is committed. One client writes 3 values to key x. Under each node, its log: one cell per entry, coloured by the node that led the term it was created in (the number is the term); pale cells are not committed yet. Messages take the colour of their term's leader (or candidate); heartbeats are the small dots, folded into one line in the lanes.</p>`,
};
// The rules a callout can point at (ids from the server's teach::RULES).
const RULE_TEXT = {
  "p1": `A proposer picks a ballot b higher than any it has seen and sends <b>p1a</b>(b). An acceptor that has promised nothing higher promises to ignore lower ballots and answers <b>p1b</b>(b, v@b'): the last value it accepted, if any.`,
  "p2c": `With promises from a majority, the proposer sends <b>p2a</b>(b, v), where v is the value of the highest ballot reported in those p1b, or its own if none was (P2c). Any two majorities share an acceptor, so a value that may have been chosen is always reported.`,
  "chosen": `An acceptor accepts p2a(b, v) unless it promised a higher ballot, and says so with <b>p2b</b>(b). Once a majority accepted v at one ballot, v is chosen: the proposer tells everyone with <b>p3</b>(v).`,
  "nack": `<b>nack</b>(b &lt; b'): an acceptor refuses a p1a or p2a of ballot b because it promised b', a higher ballot. A promise is never broken, so the proposer gives up b and later tries a ballot above b'.`,
  "p-disk": `An acceptor's promise and accepted value are on disk: a crash loses neither, so it never breaks a promise it made before the crash.`,
  "r-election": `A follower that hears no leader before its (random) election timeout becomes a candidate for the next term and sends <b>RequestVote</b>. Each server votes at most once per term (<b>Vote</b> yes/no); a majority of votes makes a leader, which sends <b>AppendEntries</b> (empty ones are heartbeats).`,
  "r-vote": `A voter refuses a candidate whose log is less up to date than its own: a lower last term, or the same last term and a shorter log (5.4.1). Every committed entry is on a majority, so a leader elected by a majority holds all of them.`,
  "r-commit": `The leader appends each client write to its log and sends it in AppendEntries; once an entry of its own term is stored on a majority, it is committed and applied, and the client gets its answer (5.3).`,
  "r-match": `AppendEntries names the entry just before the new ones (index and term); a follower whose log has no such entry refuses (<b>AppendReply</b> no), and the leader backs up and sends earlier entries until the logs match (5.3, log matching).`,
  "r-fig8": `A leader commits by counting replicas only entries of its own term; older entries are committed with them. Figure 8 of the paper shows why: an older entry on a majority can still be overwritten by a leader that never had it (5.4.2).`,
  "r-term": `Terms act as a logical clock: a server that sees a higher term adopts it, and a leader or candidate that does steps down to follower (5.1).`,
  "r-disk": `A server's term, vote and log are on disk (Figure 2): a crash loses none of them. Its commit index is not; a restarted server learns it from the leader.`,
  "note": `Notes of the scenario: what is happening, step by step, as the scenario's author explains it.`,
};
const INVARIANT = {
  paxos: "Agreement: no two nodes decide different values. Checked live by synod's checkers on every event.",
  raft: "State machine safety: no two nodes commit different entries at one index (with election safety, log matching and leader completeness). Checked live by synod's checkers on every event.",
};

const $ = (id) => document.getElementById(id);
const REPLAY = window.SYNOD_REPLAY || null;
const st = {
  id: null, info: null, cursor: 0, vnow: 0, serverNow: 0, endMs: 0, speed: 1, paused: false,
  busy: false, pending: 0, messages: [], nodes: [], over: false, outcome: null, lastFrame: 0,
  script: "", rows: new Map(), scrubbing: false, decidedSeen: false, bannerKey: "",
  bannerClosed: "", teach: true, narrow: false, scenarios: [], state: null,
};

function colourClass(i) { return i >= 0 && i < COLOURS.length ? "c-" + COLOURS[i] : "c-none"; }
function colourVar(i) { return i >= 0 && i < COLOURS.length ? `var(--${COLOURS[i]})` : "var(--grey)"; }
function cap(s) { return s ? s.charAt(0).toUpperCase() + s.slice(1) : s; }
function scale() { return (st.info && st.info.time_scale) || 1; }
function nodeName(i) { return st.info && i >= 0 && i < st.info.nodes.length ? st.info.nodes[i] : "client"; }
function esc(s) { return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c])); }

// Virtual time as the game's scale reads best: seconds, or milliseconds for the scenarios
// (which run on millisecond timescales, slowed down for a human).
function fmtT(ms) {
  if (ms == null) return "?";
  return scale() < 0.1 ? ms.toFixed(1) + " ms" : (ms / 1000).toFixed(1) + " s";
}

// ---- The data source: the server, or the recorded frames of an exported replay. ----

async function api(method, path, body) {
  if (REPLAY) return local(path, body || {});
  const r = await fetch(path, {
    method, headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const j = await r.json().catch(() => ({ error: "HTTP " + r.status }));
  if (!r.ok) throw new Error(j.error || ("HTTP " + r.status));
  return j;
}

// The replay's frames: [{t, state}], each state with the events since the frame before and
// its nodes only when they changed.
const rec = { pos: 0, now: 0 };
function frameAt(t) {
  const frames = REPLAY.frames;
  let k = 0;
  while (k + 1 < frames.length && frames[k + 1].t <= t + 1e-9) k++;
  return k;
}
// The state at the replay's clock `rec.now`: the last frame at or before it, with the events
// of the frames from `from` on.
function frameState(k, from) {
  const frames = REPLAY.frames;
  const s = Object.assign({}, frames[k].state);
  let j = k;
  while (j > 0 && !frames[j].state.nodes) j--;
  s.nodes = frames[j].state.nodes;
  s.events = [];
  for (let i = from; i <= k; i++) s.events.push(...frames[i].state.events);
  s.script = "";
  s.now_ms = Math.max(frames[k].t, rec.now);
  s.end_ms = REPLAY.end_ms;
  rec.pos = k;
  return s;
}
function local(path, body) {
  const frames = REPLAY.frames;
  const end = REPLAY.end_ms;
  const to = (t) => { rec.now = Math.min(end, Math.max(0, t)); return frameAt(rec.now); };
  let s;
  if (path === "/api/game") {
    rec.now = 0;
    return Promise.resolve({ id: "replay", info: REPLAY.info, state: frameState(0, 0) });
  }
  const verb = path.split("/").pop();
  const pos = rec.pos;
  if (verb === "advance") s = frameState(Math.max(pos, to(rec.now + body.ms)), pos + 1);
  else if (verb === "step") {
    const k = Math.min(pos + 1, frames.length - 1);
    rec.now = frames[k].t;
    s = frameState(k, pos + 1);
  } else if (verb === "seek") s = frameState(to(body.ms), 0);
  else if (verb === "back") s = frameState(to(rec.now - body.ms), 0);
  else return Promise.reject(new Error("This is a recorded replay: run synod play to play."));
  return Promise.resolve(s);
}

// ---- Drawing. ----

function toast(text) {
  const t = $("toast");
  t.textContent = text; t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, 3500);
}

function crownSvg() {
  return `<svg class="crown" viewBox="0 0 44 30"><path d="M3 27 L6 8 L15 18 L22 3 L29 18 L38 8 L41 27 Z" fill="#f5c518" stroke="#8a6d00" stroke-width="2"/><circle cx="22" cy="3" r="2.5" fill="#f5c518" stroke="#8a6d00"/></svg>`;
}
function skullSvg() {
  return `<svg class="skull" viewBox="0 0 36 36"><circle cx="18" cy="15" r="12" fill="#fff" stroke="#111" stroke-width="2"/><rect x="11" y="24" width="14" height="8" rx="2" fill="#fff" stroke="#111" stroke-width="2"/><circle cx="13" cy="14" r="3.5" fill="#111"/><circle cx="23" cy="14" r="3.5" fill="#111"/><path d="M16 28 v4 M20 28 v4" stroke="#111" stroke-width="1.5"/></svg>`;
}

function buildBoard() {
  const n = st.info.nodes.length;
  for (const id of ["nodes-row", "lanes"]) {
    const el = $(id);
    el.innerHTML = "";
    el.className = "grid";
    el.style.setProperty("--n", n);
  }
  st.info.nodes.forEach((name, i) => {
    const col = document.createElement("div");
    col.className = "col";
    col.innerHTML = `<div class="node ${colourClass(i)}" id="node-${i}" data-node="${i}">
        ${crownSvg()}${skullSvg()}
        <div class="name">${esc(name)}</div><div class="epoch" id="epoch-${i}"></div><div class="role" id="role-${i}"></div></div>
      <div class="state" id="state-${i}"></div>
      <div class="nodevalue value" id="nodevalue-${i}"></div>`;
    $("nodes-row").appendChild(col);
    wireNode(col.querySelector(".node"), i);
    const lane = document.createElement("div");
    lane.className = "lane";
    lane.id = "lane-" + i;
    $("lanes").appendChild(lane);
  });
  $("wires").innerHTML = `<defs>${COLOURS.concat(["grey"]).map((c) =>
    `<marker id="arrow-${c}" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L8 4 L0 8 Z" fill="var(--${c})"/></marker>`).join("")}</defs><g id="wire-lines"></g>`;
  for (const el of Array.from($("tracks").querySelectorAll(".msg"))) el.remove();
  st.rows = new Map();
  $("log").innerHTML = "";
}

// Touch and mouse alike (pointer events): a double tap (or double click) kills or recovers; a
// press held for 400 ms holds the node until it is let go.
function wireNode(el, i) {
  let holdTimer = null, holding = false, lastTap = 0;
  el.addEventListener("contextmenu", (e) => e.preventDefault());
  el.addEventListener("pointerdown", (e) => {
    e.preventDefault();
    if (el.setPointerCapture) try { el.setPointerCapture(e.pointerId); } catch (_) { /* synthetic */ }
    clearTimeout(holdTimer);
    holdTimer = setTimeout(() => { holding = true; act("slow", i); }, 400);
  });
  const up = (e) => {
    clearTimeout(holdTimer);
    holdTimer = null;
    if (holding) { holding = false; act("release", i); lastTap = 0; return; }
    if (e.type !== "pointerup") return;
    const now = performance.now();
    if (now - lastTap < 400) {
      lastTap = 0;
      const n = st.nodes[i];
      act(n && !n.up ? "recover" : "kill", i);
    } else {
      lastTap = now;
    }
  };
  el.addEventListener("pointerup", up);
  el.addEventListener("pointercancel", up);
}

function logLine(text, cls) {
  const li = document.createElement("li");
  li.textContent = text;
  if (cls) li.className = cls;
  const log = $("log");
  log.insertBefore(li, log.firstChild);
  while (log.children.length > 400) log.removeChild(log.lastChild);
}

// Whether an element's text is wider than its box (then it would be cut, with an ellipsis).
// Measured on the laid-out text, to the fraction of a pixel that scrollWidth rounds away.
function overflows(el) {
  const cs = getComputedStyle(el);
  const room = el.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  const r = document.createRange();
  r.selectNodeContents(el);
  return r.getBoundingClientRect().width > room + 0.01;
}

// Text that must not be cut: the first form that fits (the last one if none does).
function fitText(el, ...forms) {
  for (const f of forms) {
    el.textContent = f;
    if (!overflows(el)) return;
  }
}

// A lane's rows all use one form of label: the long one while every row fits, else the
// middle one (the receiver's initial), else the short one; a smaller font as the last resort.
const FORMS = ["long", "mid", "short"];
function fitLane(lane, d) {
  let mode = FORMS.indexOf(lane.dataset.mode || "long");
  d.textContent = d.dataset[FORMS[mode]];
  while (mode < 2 && overflows(d)) {
    mode++;
    d.textContent = d.dataset[FORMS[mode]];
  }
  if (FORMS[mode] !== (lane.dataset.mode || "long")) {
    lane.dataset.mode = FORMS[mode];
    for (const row of lane.children) if (row.dataset[FORMS[mode]]) row.textContent = row.dataset[FORMS[mode]];
  }
  for (let px = 10; overflows(d) && px >= 7; px--) d.style.fontSize = px + "px";
}

function setForms(d, long, mid, short) {
  d.dataset.long = long;
  d.dataset.mid = mid;
  d.dataset.short = short;
}

function laneRow(ev) {
  const lane = $("lane-" + ev.from);
  if (!lane) return;
  const to = nodeName(ev.to);
  if (ev.heartbeat) {
    // Heartbeats (and their answers) fold into one line while nothing else is sent.
    let top = lane.firstChild;
    if (!top || !top.classList.contains("hb")) {
      top = document.createElement("div");
      top.className = "hb " + colourClass(ev.colour);
      top.dataset.count = "0";
      lane.insertBefore(top, lane.firstChild);
    }
    const k = parseInt(top.dataset.count, 10) + 1;
    top.dataset.count = String(k);
    setForms(top, `♥ heartbeats ×${k}`, `♥ heartbeats ×${k}`, `♥ ×${k}`);
    fitLane(lane, top);
    return;
  }
  const d = document.createElement("div");
  d.className = colourClass(ev.colour);
  d.id = "sent-" + ev.id;
  d.title = `${ev.text} -> ${to}`;
  const init = to.charAt(0).toUpperCase();
  setForms(d, `${ev.label} → ${cap(to)}`, `${ev.label} → ${init}`, `${ev.short}→${init}`);
  lane.insertBefore(d, lane.firstChild);
  fitLane(lane, d);
  while (lane.children.length > 60) lane.removeChild(lane.lastChild);
}

function showCallout(ev) {
  if (!st.teach) return;
  const box = $("callout");
  box.hidden = false;
  box.classList.toggle("note", ev.rule === "note");
  $("callout-text").textContent = ev.text;
  const rule = (st.info.rules || []).find((r) => r.id === ev.rule);
  const a = $("callout-rule");
  a.textContent = rule ? rule.title + " ›" : "";
  a.dataset.rule = ev.rule;
}

function eventLine(ev) {
  const at = fmtT(ev.t).padStart(9);
  if (ev.kind === "log") logLine(`${at} ${nodeName(ev.node)}: ${ev.text}`);
  else if (ev.kind === "fault") logLine(`${at} *** ${ev.text}`, "fault");
  else if (ev.kind === "you") logLine(`${at} you: ${ev.action} ${nodeName(ev.node)}`, "player");
  else if (ev.kind === "callout") {
    if (st.teach) logLine(`${at} ${ev.rule === "note" ? "note" : "why"}: ${ev.text}`, ev.rule === "note" ? "note" : "callout");
    showCallout(ev);
  }
}

function ballotChip(b) { return b ? `<span class="chip" style="background:${colourVar(b.colour)}"></span>${esc(b.b)}` : "-"; }

function drawNodeState(n, i) {
  const box = $("state-" + i);
  if (st.info.protocol === "paxos") {
    const acc = n.accepted ? `<span class="chip" style="background:${colourVar(COLOURS.indexOf(n.accepted.value))}"></span>${esc(n.accepted.value)}@${esc(n.accepted.b)}` : "-";
    const w = box.clientWidth;
    const [kp, ka] = w >= 130 ? ["promised", "accepted"] : w >= 88 ? ["prom", "acc"] : ["", ""];
    box.innerHTML = n.up || n.promised
      ? `<div class="line"><span>${kp}</span><span class="v">${ballotChip(n.promised)}</span></div><div class="line"><span>${ka}</span><span class="v">${acc}</span></div>`
      : "";
    return;
  }
  const log = n.log || [];
  const width = box.clientWidth || 100;
  const cell = Math.max(9, Math.min(16, Math.floor((width - 2) / Math.max(1, log.length)) - 1));
  const fit = Math.max(1, Math.floor((width + 1) / (cell + 1)));
  const from = log.length > fit ? log.length - fit + 1 : 0;
  const commit = n.commit == null ? 0 : n.commit;
  let cells = from > 0 ? `<span class="more" style="width:${cell}px">…</span>` : "";
  for (let k = from; k < log.length; k++) {
    const t = log[k];
    const c = (n.term_colours || {})[t];
    const open = k + 1 > commit ? " open" : "";
    cells += `<span class="${open.trim()}" style="width:${cell}px;background:${colourVar(c == null ? -1 : c)}" title="index ${k + 1}, term ${t}${open ? "" : ", committed"}">${cell >= 11 ? t : ""}</span>`;
  }
  const commitLine = st.narrow ? "" : `<div class="line">${n.up ? `commit ${n.commit} of ${log.length}` : `log of ${log.length}, on disk`}</div>`;
  box.innerHTML = `<div class="logcells" id="log-${i}">${cells}</div>${commitLine}`;
}

// Redraw the nodes that changed (or all, after a resize: `force`).
function drawNodes(force) {
  st.nodes.forEach((n, i) => {
    const el = $("node-" + i);
    if (!el) return;
    const key = JSON.stringify(n);
    if (!force && el.dataset.key === key) return;
    el.dataset.key = key;
    el.classList.toggle("down", !n.up);
    el.classList.toggle("leader", n.up && n.leader);
    el.classList.toggle("held", n.held);
    let epoch = "", role = n.up ? (n.role || "") : "down";
    if (st.info.protocol === "paxos") {
      // A leader shows its own ballot; the others the ballot they follow (their promise).
      const b = n.leader ? n.ballot : n.promised;
      epoch = b ? "ballot " + b.b : "";
    } else {
      epoch = n.term != null ? "term " + n.term : "";
      if (n.up && n.follows != null && !n.leader) role = `${n.role} of ${nodeName(n.follows)}`;
    }
    let short = n.up ? (n.role || "") : "down";
    const forms = n.held ? [role + " (slowed)", short + " (slowed)", "slowed"] : [role, short];
    $("epoch-" + i).textContent = epoch;
    fitText($("role-" + i), ...forms);
    drawNodeState(n, i);
    const v = $("nodevalue-" + i);
    v.textContent = st.info.protocol === "paxos" ? (n.decided ? "decided " + n.decided : "") : "";
  });
}

function drawSafety(s) {
  const holds = s.safety.holds;
  const badge = $("safety-status");
  badge.textContent = holds ? "safety holds" : "violated";
  badge.className = holds ? "holds" : "violated";
  $("values").innerHTML = "";
  s.nodes.forEach((n) => {
    const li = document.createElement("li");
    if (st.info.protocol === "paxos") li.textContent = `${n.name.padEnd(7)} decided: ${n.up ? (n.decided || "-") : "(down)"}`;
    else li.textContent = `${n.name.padEnd(7)} commit ${n.up ? n.commit : "(down)"} ${n.store || ""}`;
    $("values").appendChild(li);
  });
  const why = $("why");
  if (!holds) {
    const v = s.safety.violation;
    why.hidden = false;
    why.textContent = `${v.property} broke at ${fmtT(v.time_ms)}: ${v.detail}. ` + (st.info.why || "");
  } else {
    why.hidden = true;
  }
}

function tried(sc) {
  if (!sc.tried || !sc.tried.length) return "nothing (a fault-free game)";
  const count = {};
  for (const t of sc.tried) count[t.action] = (count[t.action] || 0) + 1;
  return Object.entries(count).map(([a, k]) => `${a} ×${k}`).join(", ");
}

function drawScore(s) {
  const sc = s.score;
  const what = st.info.protocol === "paxos" ? "every live node decided" : "the client's writes are done";
  $("score").innerHTML = `Delay you caused: <b id="delay">${fmtT(sc.delay_ms || 0)}</b> beyond the fault-free game (${what} at ${fmtT(sc.baseline_ms)}).<br>` +
    (sc.decided_ms != null ? `Decided at ${fmtT(sc.decided_ms)}.` : `Not decided yet.`) +
    ` Rounds: <b>${sc.rounds}</b>. You tried: ${tried(sc)}.`;
}

// The banner above the board: the win, or the score card at the decision. Dismissible; it
// pushes the board down rather than covering it.
function drawBanner(s) {
  const banner = $("banner");
  let key = "", cls = "", html = "";
  const sc = s.score;
  if (!s.safety.holds) {
    const v = s.safety.violation;
    key = "win";
    cls = "";
    html = `<span class="big">You win! ${esc(v.property)} is violated.</span><span class="small">${esc(v.detail)} (at ${fmtT(v.time_ms)}; the side pane says which rule broke)</span>`;
  } else if (sc.decided_ms != null) {
    key = "decided";
    cls = "decided";
    const value = st.info.protocol === "paxos"
      ? `Decided: ${esc((s.nodes.find((n) => n.decided) || {}).decided || "?")}`
      : `The client's writes are committed`;
    html = `<span class="big">${value} at ${fmtT(sc.decided_ms)}.</span><span class="small">Fault-free: ${fmtT(sc.baseline_ms)} &middot; delay you caused: <b>${fmtT(sc.delay_ms || 0)}</b> &middot; rounds: ${sc.rounds} &middot; you tried: ${esc(tried(sc))}.` +
      (st.info.protocol === "raft" && !s.over ? ` The game goes on: can you make a node lose them?` : ``) + `</span>`;
  }
  const show = key && st.bannerClosed !== key;
  banner.hidden = !show;
  banner.className = cls;
  if (show && st.bannerKey !== key + html) {
    $("banner-text").innerHTML = html;
    st.bannerKey = key + html;
  }
}

function replayHref() {
  const q = new URLSearchParams({ protocol: st.info.protocol, nodes: st.info.nodes.length, broken: st.info.broken ? 1 : 0, seed: st.info.seed });
  if (st.info.scenario) q.set("scenario", st.info.scenario.id);
  q.set("script", st.script);
  return "/?" + q.toString();
}

function applyState(s, reset) {
  if (reset) {
    st.info.nodes.forEach((_, i) => { $("lane-" + i).innerHTML = ""; });
    $("log").innerHTML = "";
    $("callout").hidden = true;
  }
  st.state = s;
  st.cursor = s.cursor;
  st.serverNow = s.now_ms;
  st.endMs = Math.max(s.end_ms, s.now_ms);
  if (reset || st.vnow < s.now_ms || st.vnow - s.now_ms > 2000 * scale()) st.vnow = s.now_ms;
  st.messages = s.messages;
  st.nodes = s.nodes;
  st.over = s.over;
  st.outcome = s.outcome;
  st.script = s.script;
  for (const ev of s.events) {
    if (ev.kind === "send") laneRow(ev);
    else if (ev.kind === "drop") {
      const d = $("sent-" + ev.id);
      if (d) { d.classList.add("dropped"); d.title += " (dropped: " + ev.reason + ")"; }
    } else eventLine(ev);
  }
  drawNodes();
  drawSafety(s);
  drawScore(s);
  // The decision is a moment: the game pauses there (Paxos is over; Raft goes on on Play).
  if (s.score.decided_ms != null && !st.decidedSeen && !reset) {
    st.decidedSeen = true;
    if (!st.paused && !s.over) setPaused(true);
  }
  if (s.score.decided_ms == null) st.decidedSeen = false;
  drawBanner(s);
  if (!REPLAY) $("replay").href = replayHref();
  drawMessages();
}

// Each message in flight on its own track (row), drawn as an arrow from its sender to its
// receiver with the label travelling along it, so that no two overlap. Held messages wait at
// their sender, dashed; heartbeats are small dots. Drawn every animation frame, so the layout
// is read first and written after (no forced reflow per message), the arrows are rebuilt only
// when they change, and a label is measured only when it changes.
function drawMessages() {
  if (!st.info) return;
  const tracks = $("tracks");
  // Read.
  const origin = tracks.getBoundingClientRect();
  const xs = st.info.nodes.map((_, i) => {
    const r = $("node-" + i).getBoundingClientRect();
    return r.left + r.width / 2 - origin.left;
  });
  const board = $("board").clientHeight;
  const live = new Set(st.messages.map((m) => m.id));
  for (const id of Array.from(st.rows.keys())) if (!live.has(id)) st.rows.delete(id);
  // Two pools of tracks: full ones for messages with a label, thin ones (below) for the
  // heartbeats, so that they never crowd the messages that matter.
  const used = { full: new Set(), thin: new Set() };
  for (const m of st.messages) {
    const r = st.rows.get(m.id);
    if (r) used[r.pool].add(r.row);
  }
  for (const m of st.messages) {
    if (st.rows.has(m.id)) continue;
    const pool = m.heartbeat ? "thin" : "full";
    let r = 0;
    while (used[pool].has(r)) r++;
    st.rows.set(m.id, { pool, row: r });
    used[pool].add(r);
  }
  const rows = Math.max(3, ...Array.from(used.full, (r) => r + 1));
  const thin = used.thin.size ? Math.max(...Array.from(used.thin, (r) => r + 1)) : 0;
  const maxH = Math.max(70, Math.floor(board * 0.36));
  const thinH = 7;
  const rowH = Math.max(11, Math.min(20, Math.floor((maxH - thin * thinH) / rows)));
  const thinRows = Math.min(thin, Math.floor((maxH - rows * rowH) / thinH));
  const height = Math.min(maxH, rows * rowH + thinRows * thinH) + 2;
  // Write: the tracks, the arrows, the labels.
  if (tracks.style.height !== height + "px") tracks.style.height = height + "px";
  let svg = "";
  const seen = new Set();
  const placed = [];
  for (const m of st.messages) {
    const r = st.rows.get(m.id);
    const h = r.pool === "thin" ? thinH : rowH;
    const y = 1 + (r.pool === "thin" ? rows * rowH + r.row * thinH : r.row * rowH);
    if (y + h > height) continue; // more messages than tracks: the newest wait for a track
    const x0 = xs[m.from], x1 = xs[m.to];
    const c = m.colour >= 0 && m.colour < COLOURS.length ? COLOURS[m.colour] : "grey";
    const mid = y + h / 2;
    if (m.from !== m.to) {
      svg += `<line x1="${x0}" y1="${mid}" x2="${x1}" y2="${mid}" stroke="var(--${c})" stroke-width="${m.heartbeat ? 1 : 1.5}" stroke-opacity="${m.heartbeat ? 0.35 : 0.6}" ${m.held ? 'stroke-dasharray="4 3"' : ""} marker-end="url(#arrow-${c})"/>`;
    }
    let f = 0;
    if (!m.held && m.due != null && m.due > m.sent) f = Math.min(1, Math.max(0, (st.vnow - m.sent) / (m.due - m.sent)));
    const id = "m-" + m.id;
    seen.add(id);
    let el = document.getElementById(id);
    if (!el) {
      el = document.createElement("div");
      el.id = id;
      el.className = "msg " + colourClass(m.colour) + (m.heartbeat ? " hb" : "");
      el.title = m.label;
      tracks.appendChild(el);
    }
    if (el.classList.contains("held") !== m.held) el.classList.toggle("held", m.held);
    const px = Math.max(8, rowH - 6);
    let look;
    if (m.heartbeat) {
      look = `hb ${h} ${y}`;
      if (el.dataset.look !== look) {
        el.style.width = el.style.height = (h - 1) + "px";
        el.style.top = (y + 0.5) + "px";
      }
    } else {
      const span = Math.abs(x1 - x0) || 80;
      const want = st.narrow || m.label.length * px * 0.62 > span * 0.9 ? m.short : m.label;
      look = `${px} ${rowH} ${y} ${want}`;
      if (el.dataset.look !== look) {
        el.style.fontSize = px + "px";
        el.style.lineHeight = (rowH - 2) + "px";
        el.style.top = (y + 1) + "px";
        el.textContent = want;
      }
    }
    if (el.dataset.look !== look) {
      el.dataset.look = look;
      el.dataset.w = "";
    }
    placed.push([el, x0 + (x1 - x0) * f]);
  }
  const lines = $("wire-lines");
  if (lines.dataset.svg !== svg) {
    lines.innerHTML = svg;
    lines.dataset.svg = svg;
  }
  for (const el of Array.from(tracks.querySelectorAll(".msg"))) if (!seen.has(el.id)) el.remove();
  // Read the widths of the labels that changed (one layout for all of them), then place.
  for (const [el] of placed) if (!el.dataset.w) el.dataset.w = String(el.offsetWidth);
  for (const [el, x] of placed) {
    const w = parseFloat(el.dataset.w);
    el.style.left = Math.min(origin.width - w / 2, Math.max(w / 2, x)) + "px";
  }
}

async function call(method, path, body, reset) {
  st.busy = true;
  try {
    const s = await api(method, path, body);
    applyState(s, reset);
    return true;
  } catch (e) {
    toast(e.message);
    return false;
  } finally {
    st.busy = false;
  }
}

async function whenIdle() { while (st.busy) await new Promise((r) => setTimeout(r, 10)); }

async function act(action, node) {
  if (!st.id) return;
  if (REPLAY) { toast("This is a recorded replay: run synod play to play."); return; }
  await whenIdle();
  // The server records the action (and the log shows it) only if the rules allow it.
  await call("POST", `/api/game/${st.id}/action`, { action, node, cursor: st.cursor }, false);
}

async function seek(ms) {
  if (!st.id) return;
  await whenIdle();
  st.pending = 0;
  st.decidedSeen = true;
  st.bannerClosed = "";
  await call("POST", `/api/game/${st.id}/seek`, { ms }, true);
  st.decidedSeen = st.state && st.state.score.decided_ms != null;
  st.vnow = st.serverNow;
}

function frame(t) {
  const dt = st.lastFrame ? Math.min(250, t - st.lastFrame) : 0;
  st.lastFrame = t;
  const k = scale();
  if (st.id && !st.paused && !st.over && !st.scrubbing) {
    st.pending += dt * st.speed * k;
    st.vnow = Math.min(st.vnow + dt * st.speed * k, st.serverNow + 1500 * st.speed * k);
    if (REPLAY) st.vnow = Math.min(st.vnow, st.endMs);
    if (!st.busy && st.pending >= 100 * k) {
      const ms = Math.min(st.pending, 10000 * k, 60000);
      st.pending = 0;
      call("POST", `/api/game/${st.id}/advance`, { ms, cursor: st.cursor }, false);
    }
  }
  const shown = st.id ? Math.max(st.serverNow, Math.min(st.vnow, st.serverNow + 1000 * k)) : 0;
  const tl = $("timeline");
  tl.max = String(Math.max(st.endMs, shown));
  if (!st.scrubbing) {
    tl.value = String(shown);
    $("clock").textContent = fmtT(shown);
  }
  if (REPLAY && st.id && !st.paused && (st.over || st.serverNow >= st.endMs)) setPaused(true);
  drawMessages();
  requestAnimationFrame(frame);
}

function setPaused(p) {
  st.paused = p;
  $("pause").textContent = p ? "Play" : "Pause";
  $("pause").classList.toggle("on", p);
}

function fillScenarios() {
  const sel = $("scenario");
  const proto = $("protocol").value;
  const keep = sel.value;
  sel.innerHTML = `<option value="">no scenario</option>` + st.scenarios.filter((p) => p.protocol === proto)
    .map((p) => `<option value="${esc(p.id)}">${esc(p.title)}</option>`).join("");
  sel.value = st.scenarios.some((p) => p.id === keep && p.protocol === proto) ? keep : "";
  sel.hidden = sel.options.length <= 1;
  const chosen = sel.value !== "";
  $("nodes").disabled = chosen;
  $("broken").disabled = chosen;
}

function drawRules() {
  const proto = st.info.protocol;
  let html = INTRO[proto] || "";
  for (const r of st.info.rules || []) {
    if (r.id === "note" && !st.info.scenario) continue;
    html += `<div class="rule" id="rule-${r.id}"><span class="rule-title">${esc(r.title)}</span>${RULE_TEXT[r.id] || ""}</div>`;
  }
  $("protocol-text").innerHTML = html;
}

async function newGame(fromUrl) {
  const body = { protocol: $("protocol").value, nodes: parseInt($("nodes").value, 10), broken: $("broken").checked };
  if ($("scenario").value) body.scenario = $("scenario").value;
  if (fromUrl) {
    const q = new URLSearchParams(location.search);
    if (q.get("seed")) body.seed = parseInt(q.get("seed"), 10);
    if (q.get("script")) body.script = q.get("script");
  }
  try {
    const g = await api("POST", "/api/game", body);
    st.id = g.id; st.info = g.info; st.pending = 0; st.vnow = 0; st.cursor = 0; st.over = false;
    st.decidedSeen = false; st.bannerClosed = ""; st.bannerKey = "";
    const proto = g.info.protocol;
    $("title").textContent = proto === "paxos" ? "BeatPaxos" : "BeatRaft";
    document.title = $("title").textContent + " - synod play";
    $("protocol").value = proto;
    $("nodes").value = String(g.info.nodes.length);
    $("broken").checked = g.info.broken;
    $("invariant").textContent = INVARIANT[proto];
    $("seed").textContent = g.info.seed;
    const bl = $("bug-line");
    bl.hidden = !g.info.bug;
    bl.textContent = g.info.bug ? `Planted bug ${g.info.bug}: ${g.info.bug_text}. You can win.` : "";
    const sl = $("scenario-line");
    sl.hidden = !g.info.scenario;
    sl.textContent = g.info.scenario ? `Scenario: ${g.info.scenario.title}. ${g.info.scenario.description} 1x plays ${1 / g.info.time_scale} times slower than real time.` : "";
    drawRules();
    buildBoard();
    layout();
    applyState(g.state, true);
    document.body.dataset.game = g.id;
    if (REPLAY) { setPaused(false); }
  } catch (e) {
    toast(e.message);
  }
}

function setSpeed(v) {
  st.speed = v;
  for (const b of document.querySelectorAll("#speeds button")) b.classList.toggle("on", parseFloat(b.dataset.speed) === v);
}

function layout() {
  const lane = $("lane-0");
  st.narrow = !!lane && lane.clientWidth < 130;
  $("board").classList.toggle("narrow", st.narrow);
  if (st.nodes.length) drawNodes(true);
}

async function init() {
  const q = new URLSearchParams(location.search);
  if (REPLAY) {
    document.body.classList.add("static");
    $("static-line").hidden = false;
  } else {
    try { st.scenarios = await api("GET", "/api/scenarios"); } catch (_) { st.scenarios = []; }
  }
  if (q.get("protocol")) $("protocol").value = q.get("protocol");
  fillScenarios();
  if (REPLAY) for (const id of ["protocol", "nodes", "scenario", "broken", "new"]) $(id).disabled = true;
  if (q.get("scenario")) { $("scenario").value = q.get("scenario"); fillScenarios(); }
  if (q.get("nodes")) $("nodes").value = q.get("nodes");
  if (q.get("broken") === "1") $("broken").checked = true;
  if (q.get("speed")) setSpeed(parseFloat(q.get("speed")));
  st.teach = q.get("callouts") !== "0" && localStorage.getItem("synod-callouts") !== "off";
  $("teach").checked = st.teach;
  $("teach").onchange = () => {
    st.teach = $("teach").checked;
    localStorage.setItem("synod-callouts", st.teach ? "on" : "off");
    if (!st.teach) $("callout").hidden = true;
  };
  // Changing the game, the node count, the scenario or the broken switch starts that game.
  $("protocol").onchange = () => { fillScenarios(); newGame(false); };
  for (const id of ["nodes", "broken"]) $(id).onchange = () => newGame(false);
  $("scenario").onchange = () => { fillScenarios(); newGame(false); };
  $("new").onclick = () => newGame(false);
  for (const b of document.querySelectorAll("#speeds button")) b.onclick = () => setSpeed(parseFloat(b.dataset.speed));
  $("pause").onclick = () => setPaused(!st.paused);
  $("step").onclick = async () => {
    if (!st.id) return;
    setPaused(true);
    await whenIdle();
    await call("POST", `/api/game/${st.id}/step`, { cursor: st.cursor }, false);
    st.vnow = st.serverNow;
  };
  $("back").onclick = () => seek(Math.max(0, st.serverNow - 5000 * scale()));
  const tl = $("timeline");
  tl.addEventListener("input", () => { st.scrubbing = true; $("clock").textContent = fmtT(parseFloat(tl.value)); });
  tl.addEventListener("change", async () => { await seek(parseFloat(tl.value)); st.scrubbing = false; });
  $("banner-close").onclick = () => {
    st.bannerClosed = st.outcome === "violation" || (st.state && !st.state.safety.holds) ? "win" : "decided";
    $("banner").hidden = true;
  };
  $("banner").addEventListener("click", (e) => { if (e.target.classList.contains("play-on")) setPaused(false); });
  $("callout-rule").onclick = (e) => {
    e.preventDefault();
    const el = $("rule-" + e.target.dataset.rule);
    if (!el) return;
    el.scrollIntoView({ block: "center", behavior: "smooth" });
    el.classList.add("lit");
    setTimeout(() => el.classList.remove("lit"), 2500);
  };
  document.addEventListener("keydown", (e) => {
    if (e.target.tagName === "SELECT" || e.target.tagName === "INPUT") return;
    const speeds = { "1": 0.5, "2": 1, "3": 2, "4": 5 };
    if (e.key === " ") { e.preventDefault(); $("pause").click(); }
    else if (e.key === "s") $("step").click();
    else if (e.key === "b") $("back").click();
    else if (speeds[e.key]) setSpeed(speeds[e.key]);
  });
  $("download").onclick = (e) => { e.preventDefault(); if (st.id) location.href = `/api/game/${st.id}/trace`; };
  $("export").onclick = (e) => { e.preventDefault(); if (st.id) location.href = `/api/game/${st.id}/export`; };
  window.addEventListener("resize", layout);
  await newGame(true);
  requestAnimationFrame(frame);
}

// Exposed for the end-to-end tests.
window.synodPlay = st;
init();
