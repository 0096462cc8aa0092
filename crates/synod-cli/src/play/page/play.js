// synod play: the page. The simulation runs on the server (synod's own simulator and
// protocols); this script advances its virtual time in step with the wall clock times the
// speed, applies the player's actions, and draws what changed. No build step, no libraries.
"use strict";

const COLOURS = ["red", "green", "blue", "orange", "purple"];
const PROTOCOL_TEXT = {
  paxos: `<p>Single-decree Paxos: every node is a proposer, an acceptor and a learner. If nothing was accepted before, a proposer proposes its own colour.</p>
<ul>
<li><b>p1a</b>(b): a proposer picks a ballot b = round.proposer, higher than any it has seen, and asks the acceptors to promise.</li>
<li><b>p1b</b>(b, v@b'): an acceptor promises to ignore ballots below b and reports the last value it accepted, if any.</li>
<li><b>p2a</b>(b, v): with promises from a majority, the proposer proposes v: the value of the highest ballot reported, or its own if none was.</li>
<li><b>p2b</b>(b): an acceptor that has promised nothing higher accepts.</li>
<li><b>p3</b>(v): with a majority of p2b, v is chosen; the proposer tells the learners.</li>
</ul><p>A node wears the crown while it thinks it leads (in phase 2). Messages take the colour of their ballot's proposer.</p>`,
  raft: `<p>Raft: one leader per term replicates a log; an entry stored on a majority is committed. One client writes 3 values to key x; the "value" of a node is what it has committed.</p>
<ul>
<li><b>RequestVote</b>(t): after a random election timeout, a follower becomes a candidate for term t. A node votes once per term, and only for a candidate whose log is at least as up to date as its own.</li>
<li><b>Vote</b>(t, yes/no): with a majority of votes, the candidate leads term t.</li>
<li><b>AppendEntries</b>(t, +n): the leader sends entries (or a heartbeat); a follower accepts if its log matches at the previous entry.</li>
<li><b>AppendReply</b>(t, ok): once a majority stored an entry of its own term, the leader commits it and tells the followers in the next AppendEntries.</li>
</ul><p>A node wears the crown while it leads. Messages take the colour of their term's leader (or candidate).</p>`,
};
const INVARIANT = {
  paxos: "Agreement: no two nodes decide different values. Checked live by synod's checkers on every event.",
  raft: "State machine safety: no two nodes commit different entries at the same index (with election safety, log matching and leader completeness). Checked live by synod's checkers on every event.",
};

const $ = (id) => document.getElementById(id);
const st = {
  id: null, info: null, cursor: 0, vnow: 0, serverNow: 0, speed: 1, paused: false,
  busy: false, pending: 0, messages: [], nodes: [], over: false, lastFrame: 0, script: "",
};

function colourClass(i) { return i >= 0 && i < COLOURS.length ? "c-" + COLOURS[i] : "c-none"; }

async function api(method, path, body) {
  const r = await fetch(path, {
    method, headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const j = await r.json().catch(() => ({ error: "HTTP " + r.status }));
  if (!r.ok) throw new Error(j.error || ("HTTP " + r.status));
  return j;
}

function toast(text) {
  const t = $("toast");
  t.textContent = text; t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, 3000);
}

function crownSvg() {
  return `<svg class="crown" viewBox="0 0 44 30"><path d="M3 27 L6 8 L15 18 L22 3 L29 18 L38 8 L41 27 Z" fill="#f5c518" stroke="#8a6d00" stroke-width="2"/><circle cx="22" cy="3" r="2.5" fill="#f5c518" stroke="#8a6d00"/></svg>`;
}
function skullSvg() {
  return `<svg class="skull" viewBox="0 0 36 36"><circle cx="18" cy="15" r="12" fill="#fff" stroke="#111" stroke-width="2"/><rect x="11" y="24" width="14" height="8" rx="2" fill="#fff" stroke="#111" stroke-width="2"/><circle cx="13" cy="14" r="3.5" fill="#111"/><circle cx="23" cy="14" r="3.5" fill="#111"/><path d="M16 28 v4 M20 28 v4" stroke="#111" stroke-width="1.5"/></svg>`;
}

function buildBoard() {
  const cols = $("columns");
  cols.innerHTML = "";
  st.info.nodes.forEach((name, i) => {
    const col = document.createElement("div");
    col.className = "col";
    col.innerHTML = `<div class="node ${colourClass(i)}" id="node-${i}" data-node="${i}">
        ${crownSvg()}${skullSvg()}
        <div class="name">${name}</div><div class="epoch" id="epoch-${i}"></div><div class="role" id="role-${i}"></div>
        <div class="value" id="nodevalue-${i}"></div></div>
      <div class="lane" id="lane-${i}"></div>`;
    cols.appendChild(col);
    wireNode(col.querySelector(".node"), i);
  });
  $("wires").innerHTML = "";
  $("log").innerHTML = "";
}

function wireNode(el, i) {
  let holdTimer = null, holding = false;
  el.addEventListener("dblclick", (e) => {
    e.preventDefault();
    clearTimeout(holdTimer);
    const n = st.nodes[i];
    act(n && !n.up ? "recover" : "kill", i);
  });
  el.addEventListener("mousedown", () => {
    clearTimeout(holdTimer);
    holdTimer = setTimeout(() => { holding = true; act("slow", i); }, 350);
  });
  const up = () => {
    clearTimeout(holdTimer);
    if (holding) { holding = false; act("release", i); }
  };
  el.addEventListener("mouseup", up);
  el.addEventListener("mouseleave", up);
}

function logLine(text, cls) {
  const li = document.createElement("li");
  li.textContent = text;
  if (cls) li.className = cls;
  const log = $("log");
  log.insertBefore(li, log.firstChild);
  while (log.children.length > 400) log.removeChild(log.lastChild);
}

function fmtS(ms) { return (ms / 1000).toFixed(1) + " s"; }

function applyState(s, reset) {
  if (reset) {
    st.info.nodes.forEach((_, i) => { $("lane-" + i).innerHTML = ""; });
    $("log").innerHTML = "";
  }
  st.cursor = s.cursor;
  st.serverNow = s.now_ms;
  if (reset || st.vnow < s.now_ms || st.vnow - s.now_ms > 2000) st.vnow = s.now_ms;
  st.messages = s.messages;
  st.nodes = s.nodes;
  st.over = s.over;
  st.script = s.script;
  for (const ev of s.events) {
    if (ev.kind === "send") {
      const lane = $("lane-" + ev.from);
      const d = document.createElement("div");
      d.className = colourClass(ev.colour);
      d.id = "sent-" + ev.id;
      d.title = ev.text;
      d.textContent = `${ev.label} -> ${cap(st.info.nodes[ev.to])}`;
      lane.insertBefore(d, lane.firstChild);
      while (lane.children.length > 60) lane.removeChild(lane.lastChild);
    } else if (ev.kind === "drop") {
      const d = $("sent-" + ev.id);
      if (d) { d.classList.add("dropped"); d.title += " (dropped: " + ev.reason + ")"; }
    }
  }
  for (const line of s.log || []) logLine(line);
  // Nodes.
  s.nodes.forEach((n, i) => {
    const el = $("node-" + i);
    el.classList.toggle("down", !n.up);
    el.classList.toggle("leader", n.up && n.leader);
    el.classList.toggle("held", n.held);
    $("epoch-" + i).textContent = n.up ? (n.epoch || "") : "down";
    $("role-" + i).textContent = n.up ? (n.role || "") + (n.held ? " (slowed)" : "") : "";
    const v = n.value && n.value !== "-" ? n.value : "";
    $("nodevalue-" + i).textContent = v ? (st.info.protocol === "paxos" ? "decided " + v : v) : "";
  });
  // Safety.
  const holds = s.safety.holds;
  const badge = $("safety-status");
  badge.textContent = holds ? "safety holds" : "violated";
  badge.className = holds ? "holds" : "violated";
  $("values").innerHTML = "";
  s.nodes.forEach((n) => {
    const li = document.createElement("li");
    const label = st.info.protocol === "paxos" ? "decided" : "committed";
    li.textContent = `${n.name.padEnd(7)} ${label}: ${n.value ?? "(down)"}`;
    $("values").appendChild(li);
  });
  const why = $("why"), banner = $("banner");
  if (!holds) {
    const v = s.safety.violation;
    why.hidden = false;
    why.textContent = `${v.property} broke at ${fmtS(v.time_ms)}: ${v.detail}. ` + (st.info.why || "");
    banner.hidden = false;
    banner.textContent = "You win! " + v.property + " is violated.";
  } else {
    why.hidden = true;
    banner.hidden = true;
  }
  // Score.
  const sc = s.score;
  const decided = sc.decided_ms != null;
  const what = st.info.protocol === "paxos" ? "the decision" : "the client's 3 writes";
  $("score").innerHTML = `Delay you caused: <b id="delay">${fmtS(sc.delay_ms || 0)}</b> beyond the fault-free game (${sc.baseline_ms != null ? fmtS(sc.baseline_ms) : "?"} to ${what}).<br>` +
    (decided ? `Decided at ${fmtS(sc.decided_ms)}.` : `Not decided yet.`) + ` Rounds: <b>${sc.rounds}</b>.`;
  // Replay link.
  const q = new URLSearchParams({ protocol: st.info.protocol, nodes: st.info.nodes.length, broken: st.info.broken ? 1 : 0, seed: st.info.seed, script: st.script });
  $("replay").href = "/?" + q.toString();
  drawMessages();
}

function cap(s) { return s.charAt(0).toUpperCase() + s.slice(1); }

function columnX(i) {
  const el = $("node-" + i);
  const board = $("board").getBoundingClientRect();
  const r = el.getBoundingClientRect();
  return r.left + r.width / 2 - board.left;
}

function drawMessages() {
  const wires = $("wires");
  const seen = new Set();
  for (const m of st.messages) {
    seen.add("m-" + m.id);
    let el = document.getElementById("m-" + m.id);
    if (!el) {
      el = document.createElement("div");
      el.id = "m-" + m.id;
      el.className = "msg " + colourClass(m.colour);
      el.textContent = m.label;
      wires.appendChild(el);
    }
    el.classList.toggle("held", m.held);
    const x0 = columnX(m.from), x1 = columnX(m.to);
    let f = 0;
    if (!m.held && m.due != null && m.due > m.sent) f = Math.min(1, Math.max(0, (st.vnow - m.sent) / (m.due - m.sent)));
    el.style.left = (x0 + (x1 - x0) * f) + "px";
    el.style.top = ((m.id % 5) * 20) + "px";
  }
  for (const el of Array.from(wires.children)) if (!seen.has(el.id)) el.remove();
}

async function call(method, path, body, reset) {
  st.busy = true;
  try {
    const s = await api(method, path, body);
    applyState(s, reset);
  } catch (e) {
    toast(e.message);
  } finally {
    st.busy = false;
  }
}

async function act(action, node) {
  if (!st.id || (st.over && action === "release")) return;
  const name = st.info.nodes[node];
  logLine(`you: ${action} ${name}`, "player");
  while (st.busy) await new Promise((r) => setTimeout(r, 10));
  await call("POST", `/api/game/${st.id}/action`, { action, node, cursor: st.cursor }, false);
}

function frame(t) {
  const dt = st.lastFrame ? Math.min(250, t - st.lastFrame) : 0;
  st.lastFrame = t;
  if (st.id && !st.paused && !st.over) {
    st.pending += dt * st.speed;
    st.vnow = Math.min(st.vnow + dt * st.speed, st.serverNow + 1500 * st.speed);
    if (!st.busy && st.pending >= 100) {
      const ms = Math.min(st.pending, 10000);
      st.pending = 0;
      call("POST", `/api/game/${st.id}/advance`, { ms, cursor: st.cursor }, false);
    }
  }
  $("clock").textContent = fmtS(st.id ? Math.max(st.serverNow, Math.min(st.vnow, st.serverNow + 1000)) : 0);
  drawMessages();
  requestAnimationFrame(frame);
}

async function newGame(fromUrl) {
  const body = {
    protocol: $("protocol").value,
    nodes: parseInt($("nodes").value, 10),
    broken: $("broken").checked,
  };
  if (fromUrl) {
    const q = new URLSearchParams(location.search);
    if (q.get("seed")) body.seed = parseInt(q.get("seed"), 10);
    if (q.get("script")) body.script = q.get("script");
  }
  try {
    const g = await api("POST", "/api/game", body);
    st.id = g.id; st.info = g.info; st.pending = 0; st.vnow = 0; st.cursor = 0; st.over = false;
    $("title").textContent = g.info.protocol === "paxos" ? "BeatPaxos" : "BeatRaft";
    $("protocol-text").innerHTML = PROTOCOL_TEXT[g.info.protocol];
    $("invariant").textContent = INVARIANT[g.info.protocol];
    $("seed").textContent = g.info.seed;
    const bl = $("bug-line");
    bl.hidden = !g.info.broken;
    bl.textContent = g.info.broken ? `Broken protocol: planted bug ${g.info.bug}: ${g.info.bug_text}. You can win.` : "";
    buildBoard();
    applyState(g.state, true);
    document.body.dataset.game = g.id;
  } catch (e) {
    toast(e.message);
  }
}

function setSpeed(v) {
  st.speed = v;
  for (const b of document.querySelectorAll("#speeds button")) b.classList.toggle("on", parseFloat(b.dataset.speed) === v);
}

function init() {
  const q = new URLSearchParams(location.search);
  if (q.get("protocol")) $("protocol").value = q.get("protocol");
  if (q.get("nodes")) $("nodes").value = q.get("nodes");
  if (q.get("broken") === "1") $("broken").checked = true;
  if (q.get("speed")) setSpeed(parseFloat(q.get("speed")));
  $("new").onclick = () => newGame(false);
  for (const b of document.querySelectorAll("#speeds button")) b.onclick = () => setSpeed(parseFloat(b.dataset.speed));
  $("pause").onclick = () => {
    st.paused = !st.paused;
    $("pause").textContent = st.paused ? "Play" : "Pause";
    $("pause").classList.toggle("on", st.paused);
  };
  $("step").onclick = async () => {
    if (!st.id) return;
    if (!st.paused) $("pause").click();
    while (st.busy) await new Promise((r) => setTimeout(r, 10));
    await call("POST", `/api/game/${st.id}/step`, { cursor: st.cursor }, false);
    st.vnow = st.serverNow;
  };
  $("back").onclick = async () => {
    if (!st.id) return;
    while (st.busy) await new Promise((r) => setTimeout(r, 10));
    st.pending = 0;
    await call("POST", `/api/game/${st.id}/back`, { ms: 5000 }, true);
    st.vnow = st.serverNow;
  };
  // Keys: space pauses, s steps, b goes back, 1-4 set the speed.
  document.addEventListener("keydown", (e) => {
    if (e.target.tagName === "SELECT" || e.target.tagName === "INPUT") return;
    const speeds = { "1": 0.5, "2": 1, "3": 2, "4": 5 };
    if (e.key === " ") { e.preventDefault(); $("pause").click(); }
    else if (e.key === "s") $("step").click();
    else if (e.key === "b") $("back").click();
    else if (speeds[e.key]) setSpeed(speeds[e.key]);
  });
  $("download").onclick = () => { if (st.id) location.href = `/api/game/${st.id}/trace`; };
  newGame(true);
  requestAnimationFrame(frame);
}

// Exposed for the end-to-end tests.
window.synodPlay = st;
init();
