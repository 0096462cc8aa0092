// synod view: a self-contained space-time viewer for one run (docs/view.md).
//
// The data (crates/synod-cli/src/view/page.rs) comes as columns: events, messages (arrows from
// send to delivery or drop), client operations, narration and state changes, with every text
// interned once in `strings`. The diagram is drawn on canvases: a base layer redrawn when the
// view moves (zoom, pan, filters) and drawing only what is in the window, an overlay redrawn
// when the cursor moves, and an overview of the whole run. The state at the cursor is rebuilt
// from the state changes by binary search, so scrubbing costs the same anywhere in the run.
(function () {
  'use strict';

  const D = JSON.parse(document.getElementById('data').textContent);
  const S = D.strings;
  const KINDS = ['start', 'crash', 'restart', 'send', 'deliver', 'drop', 'timer', 'fault',
    'invoke', 'return', 'decide', 'apply', 'role', 'commit', 'other', 'note'];
  const K = {}; KINDS.forEach((k, i) => { K[k] = i; });
  const ROLE_COLOURS = { leader: '#f2b705', candidate: '#ef7d14', follower: '#9cc3e6',
    standby: '#c9c9c9', proposer: '#b9a4d6' };
  // A role known by no name above is coloured by what it means (the trace's leadership): a
  // primary that leads as a leader does, a replica that seeks to lead as a candidate.
  const LEADERSHIP_COLOURS = { leads: ROLE_COLOURS.leader, seeks: ROLE_COLOURS.candidate, follows: ROLE_COLOURS.follower };
  function roleColour(g) { return ROLE_COLOURS[g.role] || LEADERSHIP_COLOURS[g.lead] || '#d9d9d9'; }
  const OP_COLOURS = ['#24a35a', '#ef9314', '#8a8f98', '#c7cad0'];
  const OP_CLASSES = ['ok', 'error', 'unknown (timed out)', 'pending'];
  // Colours of terms and ballots in the log grid and slot table (Figure 8 colours each term).
  const EPOCH_COLOURS = ['#d9d9d9', '#8ecae6', '#f4a261', '#90be6d', '#e76f51', '#b5a1e0',
    '#f9c74f', '#4d908e', '#f28482', '#84a59d', '#c9ada7'];
  const RED = '#c62828', NOTE_BLUE = '#1f5fbf';
  // The axis band: tick labels on top, fault labels in two rows below them, and the notes'
  // flags in a row of their own when the run has notes.
  const GUTTER = 104, AXIS = D.ev.k.includes(K.note) ? 60 : 44, FAULT_ROW = 17, MAX_ARROWS = 12000, HEADS_BELOW = 3000, MARKS_BELOW = 25000;

  // ---------------------------------------------------------------- decoding
  function undelta(a) {
    const out = new Float64Array(a.length);
    let acc = 0;
    for (let i = 0; i < a.length; i++) { acc += a[i]; out[i] = acc; }
    return out;
  }
  const N = D.ev.k.length;
  const evT = undelta(D.ev.t), evSeq = undelta(D.ev.seq);
  const evK = Int8Array.from(D.ev.k), evN = Int32Array.from(D.ev.n);
  const evA = Float64Array.from(D.ev.a), evB = Int32Array.from(D.ev.b);
  const END = Math.max(D.end, 1);
  const nodes = D.nodes, NN = nodes.length;

  const A = D.arrows, NA = A.f.length;
  const aF = Int32Array.from(A.f), aTo = Int32Array.from(A.to), aK = Int32Array.from(A.k);
  const aT0 = Float64Array.from(A.t0), aT1 = Float64Array.from(A.t1);
  const aFate = Int8Array.from(A.fate), aSe = Int32Array.from(A.se), aEe = Int32Array.from(A.ee);
  for (let i = 0; i < NA; i++) if (aT1[i] < 0) aT1[i] = END;
  // Arrows are in send order. Most are short; the few long ones (held, in flight at the end)
  // are kept apart so that a window finds its arrows by binary search on the send time.
  const lat = []; for (let i = 0; i < NA; i++) lat.push(aT1[i] - aT0[i]);
  const sortedLat = lat.slice().sort((x, y) => x - y);
  const LONG = Math.max(1000, 4 * (sortedLat[Math.floor(sortedLat.length * 0.99)] || 0));
  const longArrows = []; for (let i = 0; i < NA; i++) if (lat[i] > LONG) longArrows.push(i);

  const O = D.ops, NO = O.c.length;
  const oT1 = O.t1.map(t => (t < 0 ? END : t));
  const opsByClient = new Map(), opT0ByClient = new Map();
  for (let i = 0; i < NO; i++) {
    if (!opsByClient.has(O.c[i])) { opsByClient.set(O.c[i], []); opT0ByClient.set(O.c[i], []); }
    opsByClient.get(O.c[i]).push(i);
    opT0ByClient.get(O.c[i]).push(O.t0[i]);
  }

  const L = D.logs, NL = L.s.length;
  const logE = undelta(L.e);
  // The most severe narration of each event (to mark warnings and errors on the lanes).
  const evLevel = new Int8Array(N).fill(9);
  for (let i = 0; i < NL; i++) if (L.l[i] < evLevel[logE[i]]) evLevel[logE[i]] = L.l[i];
  // The story told at info level, in the order of the run: the narration (a node's, or the
  // cluster observer's when a line has no node) and the scenario's notes.
  const notes = []; for (let i = 0; i < N; i++) if (evK[i] === K.note) notes.push(i);
  const story = [];
  {
    let j = 0;
    const say = i => {
      const e = logE[i], n = L.n[i];
      const who = n >= 0 ? name(n) : evK[e] === K.fault ? 'fault' : 'observer';
      story.push({ e, who, text: S[L.s[i]], cls: 'lvl' + L.l[i] + (n < 0 ? ' observer' : '') });
    };
    for (let i = 0; i < NL; i++) {
      if (L.l[i] > 2) continue;
      while (j < notes.length && notes[j] <= logE[i]) { story.push({ e: notes[j], who: 'note', text: S[evA[notes[j]]], cls: 'note' }); j++; }
      say(i);
    }
    for (; j < notes.length; j++) story.push({ e: notes[j], who: 'note', text: S[evA[notes[j]]], cls: 'note' });
  }
  const storyE = story.map(x => x.e);

  // State: per node, per key, the history of values (event index, string index or -1).
  const state = [];
  for (let n = 0; n < NN; n++) state.push({ keys: new Map(), fields: [], tables: new Map() });
  for (let i = 0; i < D.st.e.length; i++) {
    const n = D.st.n[i], key = S[D.st.k[i]], st = state[n];
    let h = st.keys.get(key);
    if (!h) {
      h = { e: [], v: [] };
      st.keys.set(key, h);
      const slash = key.indexOf('/');
      if (slash < 0) st.fields.push(key);
      else {
        const table = key.slice(0, slash), rk = key.slice(slash + 1);
        if (!st.tables.has(table)) st.tables.set(table, { rows: new Map() });
        st.tables.get(table).rows.set(rk, h);
      }
    }
    h.e.push(D.st.e[i]); h.v.push(D.st.v[i]);
  }
  for (const st of state) {
    for (const t of st.tables.values()) {
      t.numeric = [...t.rows.keys()].every(k => /^\d+$/.test(k));
      t.order = [...t.rows.keys()].sort(t.numeric ? (a, b) => a - b : undefined);
    }
  }
  // A log whose cells start with a term (Raft) is coloured by term; one whose cells are
  // commands (VR's log carries no epoch) by command. Decided once, from every cell the trace
  // ever holds, so that the grid's title does not change with the cursor (an empty log at the
  // start says nothing).
  const logByCommand = state.some(st => st.tables.has('log') &&
    [...st.tables.get('log').rows.values()].some(h => h.v.some(v => v >= 0 && !/^\d/.test(S[v]))));
  function valueAt(h, c) {
    if (!h) return undefined;
    let lo = 0, hi = h.e.length - 1, found = -1;
    while (lo <= hi) { const m = (lo + hi) >> 1; if (h.e[m] <= c) { found = m; lo = m + 1; } else hi = m - 1; }
    if (found < 0 || h.v[found] < 0) return undefined;
    return S[h.v[found]];
  }
  function field(n, key, c) { return valueAt(state[n].keys.get(key), c); }
  function changedAt(h, c) {
    if (!h) return false;
    let lo = 0, hi = h.e.length - 1;
    while (lo <= hi) { const m = (lo + hi) >> 1; if (h.e[m] === c) return true; if (h.e[m] < c) lo = m + 1; else hi = m - 1; }
    return false;
  }

  // Down times and role segments, per node (computed by the CLI).
  // A node still down at the end of the trace stays down forever.
  const down = D.down.map(spans => spans.map(([a, b]) => [a, b < 0 ? Infinity : b]));
  const roles = D.roles.map(segs => segs.map(([t, r, e, l]) => ({ t, role: S[r], epoch: S[e], lead: S[l] })));
  function isDown(n, t) { return down[n].some(([a, b]) => a <= t && t < b); }
  function roleAt(n, t) {
    const segs = roles[n]; let cur = null;
    for (const g of segs) { if (g.t <= t) cur = g; else break; }
    return cur;
  }

  // ---------------------------------------------------------------- helpers
  const $ = id => document.getElementById(id);
  function esc(s) { return String(s).replace(/[&<>"]/g, ch => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[ch])); }
  function fmtT(us) {
    const ms = us / 1000;
    if (ms >= 100) return ms.toFixed(1) + ' ms';
    if (ms >= 1) return ms.toFixed(2) + ' ms';
    return ms.toFixed(3) + ' ms';
  }
  function fmtTick(us, step) {
    const digits = step >= 1000 ? 0 : step >= 100 ? 1 : step >= 10 ? 2 : 3;
    return (us / 1000).toFixed(digits) + ' ms';
  }
  function lowerBound(arr, x, n) { let lo = 0, hi = n; while (lo < hi) { const m = (lo + hi) >> 1; if (arr[m] < x) lo = m + 1; else hi = m; } return lo; }
  function upperBound(arr, x, n) { let lo = 0, hi = n; while (lo < hi) { const m = (lo + hi) >> 1; if (arr[m] <= x) lo = m + 1; else hi = m; } return lo; }
  function name(n) { return n >= 0 && n < NN ? nodes[n].name : '?'; }
  function kindColour(k) { return D.palette[k % D.palette.length]; }
  function epochColour(v) {
    if (v === undefined) return EPOCH_COLOURS[0];
    const m = /^(\d+)(?:\.(\d+))?$/.exec(v);
    if (!m) { let h = 0; for (const ch of v) h = (h * 31 + ch.charCodeAt(0)) >>> 0; return EPOCH_COLOURS[1 + h % (EPOCH_COLOURS.length - 1)]; }
    const x = Number(m[1]) + (m[2] ? Number(m[2]) * 3 : 0), k = EPOCH_COLOURS.length - 1;
    return EPOCH_COLOURS[1 + (((x - 1) % k) + k) % k];
  }
  function shortCmd(s) {
    if (!s) return '';
    if (s.startsWith('NOOP')) return '\u00b7';
    const m = /^(PUT|GET|DELETE) "([^"]*)"/.exec(s);
    return m ? m[1][0] + ' ' + m[2] : s.slice(0, 3);
  }

  // ---------------------------------------------------------------- view state
  const ui = {
    t0: 0, t1: END, cursor: 0, selected: -1,
    nodeOn: nodes.map(() => true), kindOn: D.kinds.map(() => true),
    lanes: [], laneOf: new Int32Array(NN), laneH: 30, width: 0, height: 0,
    gridFrom: 0, gridFollow: true,
    need: { base: true, overlay: true, cursor: true, panel: true, overview: true },
    scrubbing: false,
  };
  // What was drawn, for tests and for the benchmark (window.synodView.scene).
  const scene = { lanes: [], arrowsVisible: 0, arrowsDrawn: 0, stride: 1, ops: 0, marks: 0,
    faults: [], notes: [], note: null, bands: 0, roleSegments: 0, violationX: null, linMarks: 0, grid: [], commits: [], fields: [], frames: 0 };

  const wrap = $('diagram-wrap'), base = $('diagram'), over = $('overlay'), ovw = $('overview');
  const bctx = base.getContext('2d'), octx = over.getContext('2d'), vctx = ovw.getContext('2d');
  const grid = $('grid'), gctx = grid.getContext('2d');
  const DPR = window.devicePixelRatio || 1;

  function setLanes() {
    ui.lanes = [];
    ui.laneOf.fill(-1);
    for (let n = 0; n < NN; n++) if (ui.nodeOn[n]) { ui.laneOf[n] = ui.lanes.length; ui.lanes.push(n); }
  }
  function laneTop(l) { return AXIS + l * ui.laneH; }
  function laneMid(l) { return laneTop(l) + ui.laneH * 0.6; }
  function plotW() { return ui.width - GUTTER - 8; }
  function tx(t) { return GUTTER + (t - ui.t0) * plotW() / (ui.t1 - ui.t0); }
  function xt(x) { return ui.t0 + (x - GUTTER) * (ui.t1 - ui.t0) / plotW(); }

  function resize() {
    const w = wrap.clientWidth, h = wrap.clientHeight;
    const lanes = Math.max(1, ui.lanes.length);
    // Lanes of 24 to 80 pixels; thinner when there are so many that the canvas would pass
    // the browser's size limit (hide nodes with the filter to see them better).
    ui.laneH = Math.max(Math.min(24, 30000 / lanes), Math.min(80, (h - AXIS - 6) / lanes));
    ui.width = w;
    ui.height = Math.max(h, AXIS + lanes * ui.laneH + 6);
    for (const c of [base, over]) {
      c.width = Math.round(w * DPR); c.height = Math.round(ui.height * DPR);
      c.style.width = w + 'px'; c.style.height = ui.height + 'px';
      c.getContext('2d').setTransform(DPR, 0, 0, DPR, 0, 0);
    }
    ovw.width = Math.round(ovw.clientWidth * DPR); ovw.height = Math.round(ovw.clientHeight * DPR);
    // Read once here: reading a size while scrubbing would force a layout in every frame.
    ui.overviewW = ovw.clientWidth;
    vctx.setTransform(DPR, 0, 0, DPR, 0, 0);
    overviewImage = null;
    const gw = $('side').clientWidth - 40;
    grid.style.width = gw + 'px';
    invalidate('base', 'overlay', 'panel', 'overview');
  }

  // ---------------------------------------------------------------- drawing: base layer
  let hatch = null;
  function hatchPattern(ctx) {
    if (hatch) return hatch;
    const c = document.createElement('canvas'); c.width = 8; c.height = 8;
    const x = c.getContext('2d');
    x.fillStyle = '#5c6067'; x.fillRect(0, 0, 8, 8);
    x.strokeStyle = '#34373c'; x.lineWidth = 3;
    x.beginPath(); x.moveTo(-2, 10); x.lineTo(10, -2); x.stroke();
    hatch = ctx.createPattern(c, 'repeat');
    return hatch;
  }

  function visibleArrows() {
    const out = [];
    const on = i => ui.nodeOn[aF[i]] && ui.nodeOn[aTo[i]] && ui.kindOn[aK[i]] && aT1[i] >= ui.t0 && aT0[i] <= ui.t1;
    let i = lowerBound(aT0, ui.t0 - LONG, NA);
    for (; i < NA && aT0[i] <= ui.t1; i++) if (lat[i] <= LONG && on(i)) out.push(i);
    for (const j of longArrows) if (on(j)) out.push(j);
    return out;
  }

  function drawBase() {
    const ctx = bctx, W = ui.width, H = ui.height;
    ctx.clearRect(0, 0, W, H);
    ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, W, H);
    scene.lanes = []; scene.faults = []; scene.notes = []; scene.bands = 0; scene.roleSegments = 0; scene.marks = 0;
    scene.ops = 0; scene.violationX = null; scene.linMarks = 0;
    const lanes = ui.lanes, lh = ui.laneH;
    const x0 = GUTTER, x1 = W - 8;
    // Lanes.
    for (let l = 0; l < lanes.length; l++) {
      ctx.fillStyle = l % 2 ? '#f4f4f0' : '#ffffff';
      ctx.fillRect(x0, laneTop(l), x1 - x0, lh);
    }
    ctx.save();
    ctx.beginPath(); ctx.rect(x0, 0, x1 - x0, H); ctx.clip();
    // Partitions: each group of a partition in its own tint.
    const tints = ['rgba(80,140,255,0.16)', 'rgba(255,110,90,0.16)', 'rgba(60,190,100,0.16)', 'rgba(250,190,40,0.18)'];
    for (const b of D.bands) {
      const t1 = b.t1 < 0 ? END : b.t1;
      if (t1 < ui.t0 || b.t0 > ui.t1) continue;
      scene.bands++;
      b.groups.forEach((g, gi) => {
        ctx.fillStyle = tints[gi % tints.length];
        for (const n of g) {
          const l = ui.laneOf[n]; if (l < 0) continue;
          ctx.fillRect(tx(b.t0), laneTop(l), tx(t1) - tx(b.t0), lh);
        }
      });
    }
    // Roles: a band along the top of the lane, with the term or ballot.
    ctx.font = '10px system-ui, sans-serif'; ctx.textBaseline = 'top';
    for (let l = 0; l < lanes.length; l++) {
      const n = lanes[l], segs = roles[n];
      for (let i = 0; i < segs.length; i++) {
        const a = segs[i].t, b = i + 1 < segs.length ? segs[i + 1].t : END;
        if (b < ui.t0 || a > ui.t1) continue;
        const xa = Math.max(x0, tx(a)), xb = Math.min(x1, tx(b));
        ctx.fillStyle = roleColour(segs[i]);
        ctx.fillRect(xa, laneTop(l) + 1, Math.max(1, xb - xa), 6);
        scene.roleSegments++;
        if (xb - xa > 30) {
          const leads = segs[i].lead === 'leads';
          ctx.fillStyle = leads ? '#7a5a00' : '#555';
          const label = (leads ? '\u265b ' : '') + segs[i].role + ' ' + segs[i].epoch;
          ctx.fillText(fit(ctx, label, xb - xa - 5), xa + 3, laneTop(l) + 8);
        }
      }
    }
    // Down times: hatched.
    ctx.fillStyle = hatchPattern(ctx);
    for (let l = 0; l < lanes.length; l++) {
      for (const [a, b] of down[lanes[l]]) {
        if (b < ui.t0 || a > ui.t1) continue;
        ctx.globalAlpha = 0.8;
        const xb = tx(Math.min(b, ui.t1 + 1));
        ctx.fillRect(tx(a), laneTop(l), xb - tx(a), lh);
        ctx.globalAlpha = 1;
      }
    }
    // Client operations: bars from invocation to return, coloured by result.
    const lin = D.lin;
    const blocked = lin && lin.blocked != null ? lin.blocked : -1;
    const cands = new Set(lin ? lin.candidates : []);
    ctx.textBaseline = 'middle'; ctx.font = '10px system-ui, sans-serif';
    for (const [c, list] of opsByClient) {
      const l = ui.laneOf[c]; if (l < 0) continue;
      const y = laneMid(l) - 6;
      // A client has one operation at a time: they are ordered by invocation.
      let j = Math.max(0, upperBound(opT0ByClient.get(c), ui.t0, list.length) - 1);
      for (; j < list.length && O.t0[list[j]] <= ui.t1; j++) {
        const i = list[j];
        if (oT1[i] < ui.t0) continue;
        const xa = tx(O.t0[i]), w = Math.max(2, tx(oT1[i]) - xa);
        ctx.fillStyle = OP_COLOURS[O.cls[i]];
        ctx.fillRect(xa, y, w, 12);
        scene.ops++;
        if (i === blocked || cands.has(i)) {
          ctx.strokeStyle = RED; ctx.lineWidth = i === blocked ? 3 : 1.5;
          ctx.setLineDash(i === blocked ? [] : [4, 3]);
          ctx.strokeRect(xa - 1.5, y - 1.5, w + 3, 15);
          ctx.setLineDash([]);
          scene.linMarks++;
        }
        if (w > 56) {
          ctx.fillStyle = '#fff';
          ctx.fillText(S[O.s[i]], xa + 3, y + 6.5, w - 5);
        }
      }
    }
    // Messages.
    const vis = visibleArrows();
    scene.arrowsVisible = vis.length;
    const stride = Math.max(1, Math.ceil(vis.length / MAX_ARROWS));
    scene.stride = stride;
    const byKind = new Map();
    let drawn = 0;
    for (let j = 0; j < vis.length; j += stride) {
      const i = vis[j];
      if (!byKind.has(aK[i])) byKind.set(aK[i], []);
      byKind.get(aK[i]).push(i);
      drawn++;
    }
    scene.arrowsDrawn = drawn;
    const heads = drawn < HEADS_BELOW;
    ctx.lineWidth = drawn > 4000 ? 0.7 : 1.2;
    for (const [k, list] of byKind) {
      const col = kindColour(k);
      ctx.strokeStyle = col; ctx.fillStyle = col;
      ctx.beginPath();
      const dashed = [];
      for (const i of list) {
        const g = arrowGeom(i);
        if (aFate[i] === 2) { dashed.push(g); continue; }
        ctx.moveTo(g.x0, g.y0); ctx.lineTo(g.x1, g.y1);
      }
      ctx.stroke();
      if (dashed.length) {
        ctx.setLineDash([4, 3]); ctx.beginPath();
        for (const g of dashed) { ctx.moveTo(g.x0, g.y0); ctx.lineTo(g.x1, g.y1); }
        ctx.stroke(); ctx.setLineDash([]);
      }
      ctx.beginPath();
      for (const i of list) {
        if (aFate[i] === 1) {
          const g = arrowGeom(i);
          ctx.moveTo(g.x1 - 4, g.y1 - 4); ctx.lineTo(g.x1 + 4, g.y1 + 4);
          ctx.moveTo(g.x1 + 4, g.y1 - 4); ctx.lineTo(g.x1 - 4, g.y1 + 4);
        }
      }
      const lw = ctx.lineWidth; ctx.lineWidth = 2; ctx.stroke(); ctx.lineWidth = lw;
      if (heads) {
        ctx.beginPath();
        for (const i of list) if (aFate[i] === 0) arrowHead(ctx, arrowGeom(i));
        ctx.fill();
      }
    }
    // Marks: narration warnings and errors, commits, decisions, crashes.
    const i0 = lowerBound(evT, ui.t0, N), i1 = upperBound(evT, ui.t1, N);
    if (i1 - i0 < MARKS_BELOW) {
      for (let i = i0; i < i1; i++) {
        const n = evN[i]; if (n < 0) continue;
        const l = ui.laneOf[n]; if (l < 0) continue;
        const x = tx(evT[i]), y = laneMid(l), k = evK[i];
        if (k === K.commit) { ctx.fillStyle = '#1b7f3b'; ctx.fillRect(x - 1, y - 9, 2, 7); scene.marks++; }
        else if (k === K.decide) { ctx.fillStyle = '#1b7f3b'; diamond(ctx, x, y - 8, 4); scene.marks++; }
        else if (k === K.crash) { ctx.fillStyle = '#222'; ctx.font = 'bold 13px system-ui'; ctx.fillText('\u2716', x - 5, y); scene.marks++; }
        if (evLevel[i] <= 1) {
          ctx.fillStyle = evLevel[i] === 0 ? RED : '#e08a00';
          ctx.beginPath(); ctx.arc(x, laneTop(l) + lh - 5, 3, 0, 7); ctx.fill();
          scene.marks++;
        }
      }
    }
    ctx.restore();
    drawAxis(ctx);
    // Faults: dashed lines with their text; labels at one instant are joined.
    ctx.font = '10px system-ui, sans-serif'; ctx.textBaseline = 'alphabetic';
    const faults = [];
    for (let i = i0; i < i1; i++) {
      if (evK[i] !== K.fault) continue;
      const last = faults[faults.length - 1];
      if (last && last.t === evT[i]) last.text += ', ' + S[evA[i]];
      else faults.push({ t: evT[i], text: S[evA[i]], i });
    }
    // Labels alternate between two rows, each cut (with an ellipsis) before the next label of
    // its row; the full text is in the event panel when the fault is clicked.
    faults.forEach((f, i) => {
      const x = tx(f.t), row = i % 2;
      ctx.strokeStyle = '#555'; ctx.setLineDash([3, 3]); ctx.lineWidth = 1;
      ctx.beginPath(); ctx.moveTo(x, FAULT_ROW); ctx.lineTo(x, laneTop(lanes.length)); ctx.stroke();
      ctx.setLineDash([]);
      const room = (i + 2 < faults.length ? tx(faults[i + 2].t) : W) - x - 8;
      if (room > 14) {
        const text = fit(ctx, f.text, room);
        const w = ctx.measureText(text).width;
        ctx.fillStyle = '#fff'; ctx.fillRect(x + 1, FAULT_ROW + row * 13, w + 4, 12);
        ctx.fillStyle = '#333'; ctx.fillText(text, x + 3, FAULT_ROW + 10 + row * 13);
      }
      scene.faults.push({ t: f.t, text: f.text, x });
    });
    // The scenario's notes: a blue flag on the time axis, numbered in the run's order, and a
    // dotted line down the lanes; the text is in the Note card when the cursor passes it.
    ctx.font = 'bold 9px system-ui, sans-serif'; ctx.textAlign = 'center';
    for (let j = lowerBound(notes, i0, notes.length); j < notes.length && notes[j] < i1; j++) {
      const x = tx(evT[notes[j]]);
      ctx.strokeStyle = NOTE_BLUE; ctx.setLineDash([1, 3]); ctx.lineWidth = 1;
      ctx.beginPath(); ctx.moveTo(x, AXIS); ctx.lineTo(x, laneTop(lanes.length)); ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = NOTE_BLUE;
      ctx.beginPath(); ctx.moveTo(x - 7, AXIS - 13); ctx.lineTo(x + 7, AXIS - 13); ctx.lineTo(x + 7, AXIS - 4);
      ctx.lineTo(x + 1, AXIS - 4); ctx.lineTo(x, AXIS); ctx.lineTo(x - 1, AXIS - 4); ctx.lineTo(x - 7, AXIS - 4); ctx.fill();
      ctx.fillStyle = '#fff'; ctx.fillText(String(j + 1), x, AXIS - 5.5);
      scene.notes.push({ t: evT[notes[j]], x, y: AXIS - 9, n: j + 1, text: S[evA[notes[j]]] });
    }
    ctx.textAlign = 'start';
    // The violation.
    if (D.violation) {
      const t = evT[D.violation.e];
      if (t >= ui.t0 && t <= ui.t1) {
        const x = tx(t);
        ctx.strokeStyle = RED; ctx.lineWidth = 3;
        ctx.beginPath(); ctx.moveTo(x, FAULT_ROW); ctx.lineTo(x, laneTop(lanes.length)); ctx.stroke();
        const label = '\u2716 ' + D.violation.property;
        ctx.font = 'bold 12px system-ui, sans-serif';
        const w = ctx.measureText(label).width;
        const lx = Math.min(x + 4, W - w - 10);
        ctx.fillStyle = RED; ctx.fillRect(lx - 2, FAULT_ROW + 11, w + 8, 16);
        ctx.fillStyle = '#fff'; ctx.fillText(label, lx + 2, FAULT_ROW + 23);
        scene.violationX = x;
      }
    }
    // Lane names.
    ctx.fillStyle = '#fbfbf9'; ctx.fillRect(0, 0, GUTTER, H);
    ctx.strokeStyle = '#dedbd2'; ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(GUTTER - 0.5, 0); ctx.lineTo(GUTTER - 0.5, H); ctx.stroke();
    ctx.textBaseline = 'middle';
    for (let l = 0; l < lanes.length; l++) {
      const n = lanes[l];
      ctx.font = '600 12px system-ui, sans-serif'; ctx.fillStyle = '#1f2430';
      ctx.fillText(nodes[n].name, 22, laneMid(l) - 3, GUTTER - 26);
      ctx.font = '10px system-ui, sans-serif'; ctx.fillStyle = '#888';
      ctx.fillText(fit(ctx, nodes[n].role, GUTTER - 26), 22, laneMid(l) + 9);
      scene.lanes.push({ node: n, name: nodes[n].name, y: laneMid(l), top: laneTop(l), height: lh });
    }
    $('lod-note').hidden = stride === 1;
    $('lod-note').textContent = stride > 1 ? `${vis.length} messages here: 1 in ${stride} drawn, zoom in for all` : '';
  }

  // `text`, cut with an ellipsis to fit `w` pixels.
  function fit(ctx, text, w) {
    if (ctx.measureText(text).width <= w) return text;
    let t = text;
    while (t.length > 1 && ctx.measureText(t + '\u2026').width > w) t = t.slice(0, -1);
    return t + '\u2026';
  }

  function arrowGeom(i) {
    const la = ui.laneOf[aF[i]], lb = ui.laneOf[aTo[i]];
    const x0 = tx(aT0[i]), y0 = laneMid(la);
    let x1 = tx(aT1[i]), y1 = laneMid(lb);
    if (aFate[i] === 1 && aT1[i] === aT0[i]) {
      // Lost or cut off as it left: a short stub towards the receiver.
      x1 = x0 + 14; y1 = y0 + Math.max(-14, Math.min(14, y1 - y0));
    }
    return { x0, y0, x1, y1 };
  }
  function arrowHead(ctx, g) {
    const dx = g.x1 - g.x0, dy = g.y1 - g.y0, len = Math.hypot(dx, dy);
    if (len < 6) return;
    const ux = dx / len, uy = dy / len;
    ctx.moveTo(g.x1, g.y1);
    ctx.lineTo(g.x1 - 7 * ux + 3 * uy, g.y1 - 7 * uy - 3 * ux);
    ctx.lineTo(g.x1 - 7 * ux - 3 * uy, g.y1 - 7 * uy + 3 * ux);
    ctx.closePath();
  }
  function diamond(ctx, x, y, r) { ctx.beginPath(); ctx.moveTo(x, y - r); ctx.lineTo(x + r, y); ctx.lineTo(x, y + r); ctx.lineTo(x - r, y); ctx.fill(); }

  function tickStep(span, target) {
    const raw = Math.max(1, span / target), p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const k of [1, 2, 5, 10]) if (k * p >= raw) return k * p;
    return 10 * p;
  }
  function drawAxis(ctx) {
    ctx.fillStyle = '#fbfbf9'; ctx.fillRect(GUTTER, 0, ui.width - GUTTER, AXIS);
    const step = tickStep(ui.t1 - ui.t0, Math.max(2, plotW() / 110));
    ctx.strokeStyle = '#999'; ctx.fillStyle = '#444'; ctx.lineWidth = 1;
    ctx.font = '10px system-ui, sans-serif'; ctx.textBaseline = 'alphabetic';
    for (let t = Math.ceil(ui.t0 / step) * step; t <= ui.t1; t += step) {
      const x = Math.round(tx(t)) + 0.5;
      ctx.beginPath(); ctx.moveTo(x, FAULT_ROW - 4); ctx.lineTo(x, FAULT_ROW); ctx.stroke();
      ctx.strokeStyle = 'rgba(0,0,0,0.06)';
      ctx.beginPath(); ctx.moveTo(x, AXIS); ctx.lineTo(x, laneTop(ui.lanes.length)); ctx.stroke();
      ctx.strokeStyle = '#999';
      ctx.fillText(fmtTick(t, step), x + 2, FAULT_ROW - 5);
    }
  }

  // ---------------------------------------------------------------- drawing: overlay
  function stepOf(i) {
    // The input (delivery, timer, start, ...) whose handling produced event i, and what
    // followed it at the same node and instant.
    const n = evN[i], t = evT[i];
    const isInput = k => k === K.deliver || k === K.timer || k === K.start || k === K.restart ||
      k === K.crash || k === K.fault || k === K.invoke;
    let a = i;
    while (a > 0 && !isInput(evK[a]) && evN[a - 1] === n && evT[a - 1] === t) a--;
    let b = i;
    while (b + 1 < N && evN[b + 1] === n && evT[b + 1] === t && !isInput(evK[b + 1])) b++;
    return [a, b];
  }

  function drawOverlay() {
    const ctx = octx;
    ctx.clearRect(0, 0, ui.width, ui.height);
    // The selected step: its messages thick, its events ringed.
    if (ui.selected >= 0) {
      const [a, b] = stepOf(ui.selected);
      ctx.save(); ctx.beginPath(); ctx.rect(GUTTER, 0, ui.width - GUTTER, ui.height); ctx.clip();
      for (let i = a; i <= b; i++) {
        const k = evK[i];
        let arrow = -1;
        if (k === K.send || k === K.deliver || k === K.drop) arrow = evA[i];
        if (arrow >= 0 && ui.laneOf[aF[arrow]] >= 0 && ui.laneOf[aTo[arrow]] >= 0) {
          const g = arrowGeom(arrow);
          ctx.strokeStyle = kindColour(aK[arrow]); ctx.lineWidth = 3.5;
          ctx.beginPath(); ctx.moveTo(g.x0, g.y0); ctx.lineTo(g.x1, g.y1); ctx.stroke();
        }
        const l = evN[i] >= 0 ? ui.laneOf[evN[i]] : -1;
        if (l >= 0) {
          ctx.strokeStyle = '#1f2430'; ctx.lineWidth = 2;
          ctx.beginPath(); ctx.arc(tx(evT[i]), laneMid(l), i === ui.selected ? 7 : 5, 0, 7); ctx.stroke();
        }
      }
      ctx.restore();
    }
  }

  // The cursor is made of DOM elements moved by the compositor, so that scrubbing repaints
  // no canvas: a line with its time, a dot on the lane of the cursor's event, and a mark in
  // the gutter for each node that leads (a crown) or is down (a cross) at the cursor.
  const cursorEl = document.createElement('div'), cursorLabel = document.createElement('span');
  const cursorDot = document.createElement('div'), marks = [];
  cursorEl.id = 'cursor'; cursorDot.id = 'cursor-dot';
  cursorEl.appendChild(cursorLabel);
  function drawCursor() {
    const c = ui.cursor, t = evT[c], x = tx(t);
    const bottom = laneTop(ui.lanes.length);
    const inside = x >= GUTTER - 1 && x <= ui.width;
    // Only what changed is written: a style written in every frame costs a style pass.
    const set = (el, prop, v) => { if (el.style[prop] !== v) el.style[prop] = v; };
    const n = evN[c], l = n >= 0 ? ui.laneOf[n] : -1;
    set(cursorEl, 'display', inside ? '' : 'none');
    set(cursorDot, 'display', inside && l >= 0 ? '' : 'none');
    if (inside) {
      set(cursorEl, 'height', bottom + 'px');
      cursorEl.style.transform = `translateX(${x - 1}px)`;
      cursorLabel.textContent = fmtT(t) + '  #' + evSeq[c];
      if (l >= 0) cursorDot.style.transform = `translate(${x - 4}px, ${laneMid(l) - 4}px)`;
    }
    for (let l = 0; l < ui.lanes.length; l++) {
      if (!marks[l]) {
        marks[l] = document.createElement('span'); marks[l].className = 'lane-mark'; wrap.appendChild(marks[l]);
      }
      const n = ui.lanes[l], r = roleAt(n, t);
      const mark = isDown(n, t) ? '\u2716' : r && r.lead === 'leads' ? '\u265b' : '';
      if (marks[l].textContent !== mark) {
        marks[l].textContent = mark;
        marks[l].className = 'lane-mark' + (mark === '\u265b' ? ' crown' : '');
      }
      set(marks[l], 'top', (laneMid(l) - 12) + 'px');
    }
    for (let l = ui.lanes.length; l < marks.length; l++) marks[l].textContent = '';
  }

  // ---------------------------------------------------------------- drawing: overview
  let overviewImage = null;
  function drawOverview() {
    const w = ovw.clientWidth, h = ovw.clientHeight;
    if (!overviewImage) {
      // Event density per lane over the whole run, drawn once.
      const c = document.createElement('canvas'); c.width = Math.max(1, Math.round(w)); c.height = h;
      const x = c.getContext('2d');
      const rows = Math.max(1, NN), rh = (h - 6) / rows;
      const counts = new Float32Array(c.width * rows);
      for (let i = 0; i < N; i++) {
        const n = evN[i]; if (n < 0) continue;
        counts[n * c.width + Math.min(c.width - 1, Math.floor(evT[i] / END * c.width))]++;
      }
      let max = 1; for (const v of counts) if (v > max) max = v;
      for (let n = 0; n < rows; n++) for (let col = 0; col < c.width; col++) {
        const v = counts[n * c.width + col]; if (!v) continue;
        x.fillStyle = `rgba(47,111,208,${0.15 + 0.85 * Math.sqrt(v / max)})`;
        x.fillRect(col, 3 + n * rh, 1, Math.max(1, rh - 1));
      }
      for (let n = 0; n < NN; n++) for (const [a, b] of down[n]) {
        x.fillStyle = 'rgba(60,60,60,0.45)'; x.fillRect(a / END * c.width, 3 + n * rh, (Math.min(b, END) - a) / END * c.width, rh);
      }
      if (D.violation) { x.fillStyle = RED; x.fillRect(evT[D.violation.e] / END * c.width - 1, 0, 3, h); }
      overviewImage = c;
    }
    vctx.clearRect(0, 0, w, h);
    vctx.drawImage(overviewImage, 0, 0);
    const a = ui.t0 / END * w, b = ui.t1 / END * w;
    vctx.fillStyle = 'rgba(0,0,0,0.08)'; vctx.fillRect(0, 0, a, h); vctx.fillRect(b, 0, w - b, h);
    vctx.strokeStyle = '#1f2430'; vctx.lineWidth = 1.5; vctx.strokeRect(a, 1, Math.max(2, b - a), h - 2);
  }
  const overviewCursor = $('overview-cursor');
  function drawOverviewCursor() {
    overviewCursor.style.transform = `translateX(${evT[ui.cursor] / END * ui.overviewW - 1}px)`;
  }

  // ---------------------------------------------------------------- the side panel
  function describe(i) {
    const k = evK[i], n = evN[i], a = evA[i], b = evB[i];
    switch (k) {
      case K.start: return `${name(n)} starts`;
      case K.crash: return `${name(n)} crashes: only its durable state is kept`;
      case K.restart: return `${name(n)} restarts from its durable state`;
      case K.send: return `${name(n)} \u2192 ${name(aTo[a])}: ${D.kinds[aK[a]]}`;
      case K.deliver: return `${name(n)} \u2190 ${name(aF[a])}: ${D.kinds[aK[a]]} (sent at ${fmtT(aT0[a])})`;
      case K.drop: return `${D.kinds[aK[a]]} ${name(aF[a])} \u2192 ${name(aTo[a])} dropped: ${S[A.why[a]]}`;
      case K.timer: return `${name(n)}: timer ${S[a]}`;
      case K.fault: return `fault: ${S[a]}`;
      case K.invoke: return `${name(n)} invokes ${S[O.s[a]]}`;
      case K.return: return `${name(n)}: ${S[O.s[a]]} \u2192 ${S[O.r[a]]}`;
      case K.decide: return `${name(n)} learns #${a} = ${S[b]}`;
      case K.apply: return `${name(n)} applies #${a}: ${S[b]}`;
      case K.role: return `${name(n)} becomes ${S[a]} (${S[b]})`;
      case K.commit: return `${name(n)}: commit index \u2192 ${a}`;
      case K.note: return `note: ${S[a]}`;
      default: return `${name(n)}: ${S[a]}`;
    }
  }

  let lastStores = '', lastNarr = '', fieldsSig = '', fieldCells = [], narrAt = 0, narrTimer = 0;
  function updatePanel() {
    const c = ui.cursor, t = evT[c];
    $('cursor-line').textContent = `${fmtT(t)} \u00b7 event #${evSeq[c]} of ${N}`;
    $('cursor-event').textContent = describe(c);
    // Fields: one row per node that reports state. The table is built when the nodes or the
    // fields shown change; scrubbing only rewrites the cells whose value changed.
    const shown = ui.lanes.filter(n => state[n].fields.length || state[n].tables.size);
    const cols = [];
    for (const n of shown) for (const f of state[n].fields) if (!cols.includes(f)) cols.push(f);
    // The paper's order: who leads in which epoch, then progress.
    const rank = f => { const i = FIELD_ORDER.indexOf(f); return i < 0 ? FIELD_ORDER.length : i; };
    cols.sort((a, b) => rank(a) - rank(b));
    const sig = shown.join(',') + '|' + cols.join(',');
    const table = $('fields');
    if (sig !== fieldsSig) {
      fieldsSig = sig;
      let html = '<tr><th>node</th>' + cols.map(f => `<th>${esc(f.replace('_', ' '))}</th>`).join('') + '</tr>';
      for (const n of shown) html += `<tr><td>${esc(nodes[n].name)}</td>` + cols.map(() => '<td></td>').join('') + '</tr>';
      if (!shown.length) html = '<tr><td class="hint">This trace has no protocol state (it was written before synod recorded it).</td></tr>';
      table.innerHTML = html;
      fieldCells = shown.map((n, r) => ({ tr: table.rows[r + 1], cells: [...table.rows[r + 1].cells], last: [] }));
    }
    scene.fields = [];
    shown.forEach((n, r) => {
      const dn = isDown(n, t), fc = fieldCells[r];
      const row = { node: n, name: nodes[n].name, down: dn };
      const rowClass = dn ? 'down' : '';
      if (fc.tr.className !== rowClass) { fc.tr.className = rowClass; fc.cells[0].textContent = nodes[n].name + (dn ? ' (down)' : ''); }
      cols.forEach((f, j) => {
        const h = state[n].keys.get(f), v = valueAt(h, c);
        row[f] = v;
        const text = v === undefined ? '' : v;
        const cls = (f === 'role' && v === 'leader' ? 'leader ' : '') + (changedAt(h, c) ? 'changed' : '');
        const key = text + '\u0000' + cls;
        if (fc.last[j] !== key) {
          fc.last[j] = key;
          const td = fc.cells[j + 1];
          td.textContent = text; td.className = cls; td.title = text;
        }
      });
      scene.fields.push(row);
    });
    drawGrid();
    updateStores(c, shown);
    // The narration list moves the page's layout: while scrubbing, at most every 150 ms.
    const now = performance.now();
    clearTimeout(narrTimer);
    if (!ui.scrubbing || now - narrAt > 150) { narrAt = now; updateNarration(c); }
    else narrTimer = setTimeout(() => { narrAt = performance.now(); updateNarration(ui.cursor); }, 160);
  }

  // The log grid (Raft) and slot tables (Multi-Paxos): one row per node and table, one column
  // per index, cells coloured by term or ballot.
  const GRID_TABLES = ['log', 'accepted', 'proposed', 'chosen'];
  const FIELD_ORDER = ['role', 'term', 'ballot', 'phase', 'voted_for', 'leader', 'promised', 'accepted',
    'commit', 'chosen', 'applied', 'decided'];
  function gridRows() {
    const rows = [];
    for (const table of GRID_TABLES) for (const n of ui.lanes) {
      const tb = state[n].tables.get(table);
      if (tb && tb.numeric) rows.push({ n, table, tb });
    }
    return rows;
  }
  let gridSig = '';
  function drawGrid() {
    const rows = gridRows();
    const box = $('grid-box');
    scene.grid = []; scene.commits = [];
    if (!rows.length) { box.hidden = true; return; }
    box.hidden = false;
    const c = ui.cursor, t = evT[c];
    const tables = [...new Set(rows.map(r => r.table))];
    // The highest index present at the cursor.
    let top = 0;
    for (const r of rows) {
      for (let j = r.tb.order.length - 1; j >= 0; j--) {
        const k = Number(r.tb.order[j]);
        if (k <= top) break;
        if (valueAt(r.tb.rows.get(r.tb.order[j]), c) !== undefined) { top = k; break; }
      }
    }
    const w = parseFloat(grid.style.width) || 400;
    gctx.font = '10px system-ui, sans-serif';
    const cw = Math.max(22, Math.ceil(gctx.measureText(String(top)).width) + 8), rh = 19, headH = 14;
    gctx.font = '600 11px system-ui, sans-serif';
    const rowLabel = r => nodes[r.n].name + (tables.length > 1 || r.table !== 'log' ? ' ' + r.table : '');
    const labelW = Math.min(170, 8 + Math.max(...rows.map(r => gctx.measureText(rowLabel(r)).width)));
    const cols = Math.max(4, Math.floor((w - labelW) / cw));
    if (ui.gridFollow) ui.gridFrom = Math.max(1, top - cols + 1);
    const from = ui.gridFrom, to = from + cols - 1;
    // What the grid shows, cell by cell; drawn only when it differs from what is on screen.
    const chosen = new Set();
    for (const r of rows) if (r.table === 'chosen') for (let k = from; k <= to; k++) if (valueAt(r.tb.rows.get(String(k)), c) !== undefined) chosen.add(k);
    let sig = `${w}|${from}|${to}|${cw}|${labelW}`;
    const drawn = rows.map(r => {
      const dn = isDown(r.n, t);
      const commit = r.table === 'log' ? Number(field(r.n, 'commit', c) || 0) : null;
      const cells = [];
      for (let k = from; k <= to; k++) {
        const v = valueAt(r.tb.rows.get(String(k)), c);
        cells.push(v);
        sig += '|' + (v === undefined ? '' : v);
      }
      sig += `|${dn}|${commit}`;
      return { r, dn, commit, cells };
    });
    for (const k of chosen) sig += '|c' + k;
    const title = tables.includes('log') ? `Log (cells: ${logByCommand ? 'command' : 'term'}; bar: commit index)` : 'Slots (' + tables.join(', ') + '; cells: ballot or command)';
    if ($('grid-title').textContent !== title) $('grid-title').textContent = title;
    const paint = sig !== gridSig;
    gridSig = sig;
    const h = headH + rows.length * rh + 2;
    if (grid.width !== Math.round(w * DPR) || grid.height !== Math.round(h * DPR)) {
      grid.width = Math.round(w * DPR); grid.height = Math.round(h * DPR); grid.style.height = h + 'px';
    }
    const ctx = gctx; ctx.setTransform(DPR, 0, 0, DPR, 0, 0);
    if (paint) {
      ctx.clearRect(0, 0, w, h);
      ctx.font = '10px system-ui, sans-serif'; ctx.textBaseline = 'middle'; ctx.textAlign = 'center'; ctx.fillStyle = '#666';
      for (let k = from; k <= to; k++) ctx.fillText(String(k), labelW + (k - from) * cw + cw / 2, headH / 2);
    }
    drawn.forEach(({ r, dn, commit, cells }, ri) => {
      const y = headH + ri * rh;
      if (paint) {
        ctx.textAlign = 'left'; ctx.fillStyle = dn ? '#aaa' : '#1f2430'; ctx.font = '600 11px system-ui, sans-serif';
        ctx.fillText(rowLabel(r), 2, y + rh / 2, labelW - 6);
        ctx.textAlign = 'center'; ctx.font = '10px system-ui, sans-serif';
      }
      for (let k = from; k <= to; k++) {
        const x = labelW + (k - from) * cw;
        const v = cells[k - from];
        if (v === undefined) {
          if (paint) { ctx.strokeStyle = '#eee'; ctx.strokeRect(x + 0.5, y + 1.5, cw - 2, rh - 3); }
          continue;
        }
        const parts = v.split('\u001f');
        let text, colour;
        if (r.table === 'log' || r.table === 'accepted') { text = parts[0]; colour = epochColour(parts[0]); }
        else if (r.table === 'chosen') { text = shortCmd(parts[0]); colour = '#b7e4c7'; }
        else { text = shortCmd(parts[0]); colour = '#f1f1f1'; }
        const solid = commit === null ? r.table !== 'proposed' : k <= commit;
        scene.grid.push({ node: r.n, name: nodes[r.n].name, table: r.table, index: k, cells: parts, text, solid, colour });
        if (!paint) continue;
        ctx.globalAlpha = dn ? 0.35 : solid ? 1 : 0.5;
        ctx.fillStyle = colour; ctx.fillRect(x + 1, y + 1, cw - 2, rh - 2);
        if (!solid) { ctx.strokeStyle = '#777'; ctx.setLineDash([2, 2]); ctx.strokeRect(x + 1.5, y + 1.5, cw - 3, rh - 3); ctx.setLineDash([]); }
        ctx.fillStyle = '#1f2430'; ctx.fillText(text, x + cw / 2, y + rh / 2, cw - 3);
        if (r.table === 'accepted' && chosen.has(k)) { ctx.fillStyle = '#1b7f3b'; ctx.fillRect(x + cw - 7, y + 2, 4, 4); }
        ctx.globalAlpha = 1;
      }
      if (commit !== null) {
        scene.commits.push({ node: r.n, name: nodes[r.n].name, commit });
        if (paint && commit >= from - 1 && commit <= to) {
          const x = labelW + (commit - from + 1) * cw - 1;
          ctx.fillStyle = '#1f2430'; ctx.fillRect(x - 1.5, y - 1, 3, rh + 1);
        }
      }
    });
    const hint = `indices ${from}..${to}; the longest log ends at ${top}` + (ui.gridFollow ? ' (following its end; the wheel scrolls)' : ' (the wheel scrolls; double-click follows the end)');
    if ($('grid-hint').textContent !== hint) $('grid-hint').textContent = hint;
  }

  function updateStores(c, shown) {
    const withStore = shown.filter(n => state[n].tables.has('store'));
    let html = '';
    if (withStore.length) {
      const keys = new Set();
      for (const n of withStore) for (const k of state[n].tables.get('store').order) if (valueAt(state[n].tables.get('store').rows.get(k), c) !== undefined) keys.add(k);
      const sorted = [...keys].sort();
      html = '<h3>Stores</h3><table><tr><th>key</th>' + withStore.map(n => `<th>${esc(nodes[n].name)}</th>`).join('') + '</tr>';
      for (const k of sorted) {
        const vals = withStore.map(n => valueAt(state[n].tables.get('store').rows.get(k), c));
        const live = vals.filter((v, j) => !isDown(withStore[j], evT[c]));
        const differs = new Set(live.map(v => v === undefined ? '' : v)).size > 1;
        html += `<tr><td>${esc(k)}</td>` + vals.map(v => `<td class="${differs ? 'differs' : ''}">${esc(v === undefined ? '-' : v)}</td>`).join('') + '</tr>';
      }
      if (!sorted.length) html += `<tr><td colspan="${withStore.length + 1}" class="hint">empty</td></tr>`;
      html += '</table>';
    }
    if (html !== lastStores) { $('stores').innerHTML = html; lastStores = html; }
  }

  function updateNarration(c) {
    // The info-level story around the cursor, and the last note shown by then.
    const lo = upperBound(storyE, c, story.length);
    const first = Math.max(0, lo - 8), last = Math.min(story.length, lo + 8);
    let html = '';
    for (let j = first; j < last; j++) {
      const x = story[j], e = x.e;
      const cls = (j === lo - 1 ? 'now ' : '') + (e > c ? 'after ' : '') + x.cls;
      html += `<li class="${cls}" data-e="${e}"><span class="t">${fmtT(evT[e])}</span> [${esc(x.who)}] ${esc(x.text)}</li>`;
    }
    updateNote(c);
    if (!html) html = '<li class="hint">no narration</li>';
    if (html !== lastNarr) {
      const ol = $('narration'); ol.innerHTML = html; lastNarr = html;
      const now = ol.querySelector('.now');
      if (now) ol.scrollTop = now.offsetTop - ol.offsetTop - 60;
    }
  }

  let lastNote = -2;
  function updateNote(c) {
    const j = upperBound(notes, c, notes.length) - 1;
    scene.note = j >= 0 ? { n: j + 1, t: evT[notes[j]], text: S[evA[notes[j]]] } : null;
    if (j === lastNote) return;
    lastNote = j;
    $('note-card').hidden = !notes.length;
    $('note-head').textContent = j >= 0 ? `Note ${j + 1} of ${notes.length}, at ${fmtT(evT[notes[j]])}` : `Notes (${notes.length})`;
    $('note-text').textContent = j >= 0 ? S[evA[notes[j]]] : `The scenario's first note comes at ${fmtT(evT[notes[0]])}.`;
  }

  function showEvent(i) {
    const body = $('event-body');
    if (i < 0) { body.innerHTML = '<p class="hint">Click an arrow, a bar or a mark in the diagram.</p>'; return; }
    const [a, b] = stepOf(i);
    const n = evN[a];
    let html = `<div class="what">${esc(n >= 0 ? name(n) : evK[a] === K.note ? 'note' : 'fault')} at ${fmtT(evT[a])}: ${esc(describe(a))}</div><ol>`;
    for (let j = a; j <= b; j++) {
      html += `<li class="${j === i ? 'sel' : ''}">#${evSeq[j]} ${esc(describe(j))}</li>`;
      // Narration that this event's handling produced.
      let lo = lowerBound(logE, j, NL);
      for (; lo < NL && logE[lo] === j; lo++) html += `<li class="lvl${L.l[lo]}">    ${L.n[lo] < 0 && evK[j] !== K.fault ? '[observer] ' : ''}${esc(S[L.s[lo]])}</li>`;
    }
    html += '</ol>';
    // State changes of this step.
    const changes = [];
    if (n >= 0) for (const [key, h] of state[n].keys) if (changedAt(h, a)) {
      const v = valueAt(h, a);
      changes.push(`${key} = ${v === undefined ? '(gone)' : v.split('\u001f').join(' | ')}`);
    }
    if (changes.length) html += `<div class="what">state changed</div><pre>${esc(changes.join('\n'))}</pre>`;
    const k = evK[i];
    if (k === K.send || k === K.deliver || k === K.drop) {
      const ar = evA[i];
      const fate = aFate[ar] === 0 ? `delivered at ${fmtT(aT1[ar])}` : aFate[ar] === 1 ? `dropped (${S[A.why[ar]]}) at ${fmtT(aT1[ar])}` : 'still in flight at the end';
      let pretty = S[A.b[ar]];
      try { pretty = JSON.stringify(JSON.parse(pretty), null, 1); } catch (e) { /* shown as is */ }
      html += `<div class="what">${esc(D.kinds[aK[ar]])} ${esc(name(aF[ar]))} \u2192 ${esc(name(aTo[ar]))}: sent at ${fmtT(aT0[ar])}, ${fate}</div><pre>${esc(pretty)}</pre>`;
    }
    if (k === K.invoke || k === K.return) {
      const o = evA[i];
      html += `<div class="what">operation: ${esc(S[O.s[o]])} \u2192 ${O.r[o] >= 0 ? esc(S[O.r[o]]) : '(no return)'} (${OP_CLASSES[O.cls[o]]}), ${fmtT(O.t0[o])} .. ${O.t1[o] >= 0 ? fmtT(O.t1[o]) : 'end'}</div>`;
    }
    body.innerHTML = html;
  }

  // ---------------------------------------------------------------- header, filters
  function setupHeader() {
    $('title').textContent = D.title;
    $('about').textContent = D.about || '';
    const safety = $('safety');
    if (D.violation) {
      safety.className = 'badge bad';
      safety.textContent = '\u2716 ' + D.violation.property;
      safety.title = `${D.violation.property} violated at ${fmtT(evT[D.violation.e])} (event #${evSeq[D.violation.e]}): ${D.violation.detail}. Click to go there (v).`;
      safety.onclick = goViolation;
    } else {
      safety.className = 'badge ok';
      safety.textContent = 'safety held';
      safety.title = 'no live safety check failed in this run';
    }
    const lin = $('lin');
    if (!D.lin) { lin.hidden = true; }
    else {
      lin.className = 'badge ' + (D.lin.verdict === 'linearizable' ? 'ok' : D.lin.verdict === 'unknown' ? 'unknown' : 'bad');
      lin.textContent = D.lin.verdict;
      lin.title = D.lin.summary + (D.lin.blocked != null ? '. Click to see the operation that cannot be placed.' : '');
      if (D.lin.why) { $('why-card').hidden = false; $('why').textContent = D.lin.why; }
      lin.onclick = () => { if (D.lin.blocked != null) goOp(D.lin.blocked); };
    }
    const nf = $('node-filter');
    nodes.forEach((nd, n) => {
      const chip = document.createElement('span');
      chip.className = 'chip'; chip.textContent = nd.name; chip.dataset.node = n;
      chip.onclick = () => { ui.nodeOn[n] = !ui.nodeOn[n]; chip.classList.toggle('off', !ui.nodeOn[n]); setLanes(); resize(); };
      nf.appendChild(chip);
    });
    // What the colours of roles and operations mean.
    const legend = $('legend');
    const swatch = (c, label) => `<span class="key"><i style="background:${c}"></i>${esc(label)}</span>`;
    const roleNames = new Map();
    for (const segs of roles) for (const g of segs) if (g.role && !roleNames.has(g.role)) roleNames.set(g.role, g);
    let lg = [...roleNames].map(([r, g]) => swatch(roleColour(g), r)).join('');
    if (NO) lg += '<span class="sep"></span>' + OP_CLASSES.map((c, i) => swatch(OP_COLOURS[i], c)).join('');
    legend.innerHTML = lg;
    const kf = $('kind-filter');
    D.kinds.forEach((k, i) => {
      const chip = document.createElement('span');
      chip.className = 'chip'; chip.dataset.kind = k;
      chip.innerHTML = `<i style="background:${kindColour(i)}"></i>${esc(k)}`;
      chip.onclick = () => { ui.kindOn[i] = !ui.kindOn[i]; chip.classList.toggle('off', !ui.kindOn[i]); invalidate('base', 'overlay'); };
      kf.appendChild(chip);
    });
    $('prev').onclick = () => step(-1);
    $('next').onclick = () => step(1);
    $('zoom-in').onclick = () => zoomAt(tx(evT[ui.cursor]), 0.5);
    $('zoom-out').onclick = () => zoomAt(tx(evT[ui.cursor]), 2);
    $('fit').onclick = () => setView(0, END);
    $('help-button').onclick = () => { $('help').hidden = !$('help').hidden; };
  }

  // ---------------------------------------------------------------- navigation
  function invalidate(...what) { for (const w of what) ui.need[w] = true; schedule(); }
  let scheduled = false;
  function schedule() { if (!scheduled) { scheduled = true; requestAnimationFrame(frame); } }
  function frame() {
    scheduled = false;
    const n = ui.need;
    if (n.base) { n.base = false; drawBase(); n.overlay = true; n.overview = true; }
    if (n.overlay) { n.overlay = false; drawOverlay(); n.cursor = true; }
    if (n.cursor) { n.cursor = false; drawCursor(); drawOverviewCursor(); }
    if (n.panel) { n.panel = false; updatePanel(); }
    if (n.overview) { n.overview = false; drawOverview(); }
    scene.frames++;
  }

  function setView(t0, t1) {
    const minSpan = 20;
    if (t1 - t0 < minSpan) { const m = (t0 + t1) / 2; t0 = m - minSpan / 2; t1 = m + minSpan / 2; }
    const span = Math.min(t1 - t0, END * 1.02 + 100);
    const pad = END * 0.01 + 50;
    t0 = Math.max(-pad, Math.min(t0, END + pad - span));
    ui.t0 = t0; ui.t1 = t0 + span;
    invalidate('base', 'overview');
  }
  function zoomAt(x, factor) {
    const t = xt(x);
    setView(t - (t - ui.t0) * factor, t + (ui.t1 - t) * factor);
  }
  function visibleEvent(i) {
    const n = evN[i];
    if (n >= 0 && !ui.nodeOn[n]) return false;
    const k = evK[i];
    if (k === K.send || k === K.deliver || k === K.drop) {
      const a = evA[i];
      return ui.kindOn[aK[a]] && ui.nodeOn[aF[a]] && ui.nodeOn[aTo[a]];
    }
    return true;
  }
  function setCursor(i, follow) {
    i = Math.max(0, Math.min(N - 1, i));
    ui.cursor = i;
    if (follow) {
      const t = evT[i], span = ui.t1 - ui.t0;
      if (t < ui.t0 || t > ui.t1) setView(t - span / 2, t + span / 2);
    }
    invalidate('cursor', 'panel');
  }
  function step(d) {
    let i = ui.cursor, left = Math.abs(d);
    const dir = Math.sign(d);
    while (left > 0) {
      let j = i + dir;
      while (j >= 0 && j < N && !visibleEvent(j)) j += dir;
      if (j < 0 || j >= N) break;
      i = j; left--;
    }
    setCursor(i, true);
    select(i);
  }
  function stepNarrated(dir) {
    const lo = upperBound(storyE, ui.cursor, story.length);
    let j = dir > 0 ? lo : lo - 1;
    while (j >= 0 && j < story.length && storyE[j] === ui.cursor) j += dir;
    if (j < 0 || j >= story.length) return;
    const e = storyE[j];
    setCursor(e, true); select(e);
  }
  function select(i) { ui.selected = i; showEvent(i); invalidate('overlay'); }
  function cursorAtTime(t) { return Math.max(0, upperBound(evT, t, N) - 1); }
  function focus(i, spanUs) {
    const t = evT[i], span = Math.min(END, Math.max(spanUs, 2000));
    setView(t - span / 2, t + span / 2);
    setCursor(i, false); select(i);
  }
  function goViolation() { if (D.violation) focus(D.violation.e, Math.max(END / 8, 50000)); }
  function goOp(o) {
    const e = O.e1[o] >= 0 ? O.e1[o] : O.e0[o];
    const span = Math.max((oT1[o] - O.t0[o]) * 3, END / 10);
    const mid = (O.t0[o] + oT1[o]) / 2;
    setView(mid - span / 2, mid + span / 2);
    setCursor(e, false); select(e);
  }

  // ---------------------------------------------------------------- input
  function hitTest(x, y) {
    // A client operation bar?
    for (let l = 0; l < ui.lanes.length; l++) {
      const n = ui.lanes[l];
      if (!opsByClient.has(n) || Math.abs(y - laneMid(l)) > 8) continue;
      const t = xt(x);
      for (const i of opsByClient.get(n)) if (O.t0[i] <= t + 2 * (ui.t1 - ui.t0) / plotW() && oT1[i] >= t) return O.e0[i];
    }
    // An arrow?
    let best = -1, bestD = 6;
    const vis = visibleArrows();
    const stride = scene.stride || 1;
    for (let j = 0; j < vis.length; j += stride) {
      const i = vis[j], g = arrowGeom(i);
      const dx = g.x1 - g.x0, dy = g.y1 - g.y0, len2 = dx * dx + dy * dy || 1;
      const u = Math.max(0, Math.min(1, ((x - g.x0) * dx + (y - g.y0) * dy) / len2));
      const d = Math.hypot(x - g.x0 - u * dx, y - g.y0 - u * dy);
      if (d < bestD) { bestD = d; best = u > 0.5 && aEe[i] >= 0 ? aEe[i] : aSe[i]; }
    }
    if (best >= 0) return best;
    // An event on a lane?
    const l = Math.floor((y - AXIS) / ui.laneH);
    if (l < 0 || l >= ui.lanes.length) return -1;
    const n = ui.lanes[l];
    const i0 = lowerBound(evT, xt(x - 6), N), i1 = upperBound(evT, xt(x + 6), N);
    let bestX = 7;
    for (let i = i0; i < i1; i++) if (evN[i] === n) {
      const d = Math.abs(tx(evT[i]) - x);
      if (d < bestX) { bestX = d; best = i; }
    }
    return best;
  }

  function setupInput() {
    let drag = null;
    over.addEventListener('pointerdown', ev => {
      const r = over.getBoundingClientRect(), x = ev.clientX - r.left, y = ev.clientY - r.top;
      const cx = tx(evT[ui.cursor]);
      const scrub = y < AXIS || Math.abs(x - cx) < 4;
      drag = { x, y, t0: ui.t0, t1: ui.t1, moved: false, scrub };
      over.setPointerCapture(ev.pointerId);
      if (scrub) { over.classList.add('scrubbing'); ui.scrubbing = true; scrubTo(x); }
    });
    over.addEventListener('pointermove', ev => {
      if (!drag) return;
      const r = over.getBoundingClientRect(), x = ev.clientX - r.left, y = ev.clientY - r.top;
      if (Math.abs(x - drag.x) + Math.abs(y - drag.y) > 3) drag.moved = true;
      if (drag.scrub) { scrubTo(x); return; }
      if (drag.moved) {
        const dt = (x - drag.x) * (drag.t1 - drag.t0) / plotW();
        setView(drag.t0 - dt, drag.t1 - dt);
      }
    });
    const up = ev => {
      if (!drag) return;
      const r = over.getBoundingClientRect();
      if (!drag.moved && !drag.scrub) {
        const i = hitTest(ev.clientX - r.left, ev.clientY - r.top);
        if (i >= 0) { setCursor(i, false); select(i); }
      }
      over.classList.remove('scrubbing');
      if (ui.scrubbing) { ui.scrubbing = false; invalidate('panel'); }
      drag = null;
    };
    over.addEventListener('pointerup', up);
    over.addEventListener('pointercancel', up);
    over.addEventListener('wheel', ev => {
      ev.preventDefault();
      const r = over.getBoundingClientRect(), x = ev.clientX - r.left;
      if (ev.shiftKey || Math.abs(ev.deltaX) > Math.abs(ev.deltaY)) {
        const d = (ev.deltaX || ev.deltaY) * (ui.t1 - ui.t0) / plotW();
        setView(ui.t0 + d, ui.t1 + d);
      } else {
        zoomAt(Math.max(GUTTER, x), Math.pow(1.0015, ev.deltaY));
      }
    }, { passive: false });
    let ovDrag = false;
    const ovMove = ev => {
      const r = ovw.getBoundingClientRect(), t = (ev.clientX - r.left) / r.width * END;
      const span = ui.t1 - ui.t0;
      setView(t - span / 2, t + span / 2);
      setCursor(cursorAtTime(t), false);
    };
    ovw.addEventListener('pointerdown', ev => { ovDrag = true; ovw.setPointerCapture(ev.pointerId); ovMove(ev); });
    ovw.addEventListener('pointermove', ev => { if (ovDrag) ovMove(ev); });
    ovw.addEventListener('pointerup', () => { ovDrag = false; });
    grid.addEventListener('wheel', ev => {
      ev.preventDefault();
      ui.gridFollow = false;
      ui.gridFrom = Math.max(1, ui.gridFrom + Math.sign(ev.deltaY || ev.deltaX) * 3);
      invalidate('panel');
    }, { passive: false });
    grid.addEventListener('dblclick', () => { ui.gridFollow = true; invalidate('panel'); });
    $('narration').addEventListener('click', ev => {
      const li = ev.target.closest('li[data-e]');
      if (li) { const e = Number(li.dataset.e); setCursor(e, true); select(e); }
    });
    document.addEventListener('keydown', ev => {
      if (!$('help').hidden) { $('help').hidden = true; ev.preventDefault(); return; }
      if (ev.target.tagName === 'INPUT') return;
      const k = ev.key;
      const handled = {
        ArrowRight: () => step(ev.shiftKey ? 10 : 1), ArrowLeft: () => step(ev.shiftKey ? -10 : -1),
        n: () => stepNarrated(1), p: () => stepNarrated(-1),
        Home: () => { setCursor(0, true); select(0); }, End: () => { setCursor(N - 1, true); select(N - 1); },
        '+': () => zoomAt(tx(evT[ui.cursor]), 0.5), '=': () => zoomAt(tx(evT[ui.cursor]), 0.5),
        '-': () => zoomAt(tx(evT[ui.cursor]), 2), '0': () => setView(0, END),
        c: () => { const t = evT[ui.cursor], s = ui.t1 - ui.t0; setView(t - s / 2, t + s / 2); },
        v: goViolation, '?': () => { $('help').hidden = false; },
      }[k];
      if (handled) { handled(); ev.preventDefault(); }
    });
    window.addEventListener('resize', resize);
  }
  function scrubTo(x) { setCursor(cursorAtTime(xt(x)), false); }

  // ---------------------------------------------------------------- start
  wrap.appendChild(cursorEl); wrap.appendChild(cursorDot);
  setLanes();
  setupHeader();
  setupInput();
  resize();
  if (D.violation) goViolation();
  else if (D.lin && D.lin.blocked != null) goOp(D.lin.blocked);
  frame();

  // For tests and the benchmark: what is drawn, and a way to drive the page.
  window.synodView = {
    scene,
    events: N,
    readyMs: performance.now(),
    ready: true,
    cursor: () => ({ index: ui.cursor, seq: evSeq[ui.cursor], time: evT[ui.cursor] }),
    view: () => ({ t0: ui.t0, t1: ui.t1 }),
    setView: (a, b) => { setView(a, b); frame(); },
    setCursorTime: t => { setCursor(cursorAtTime(t), true); frame(); },
    setCursorSeq: s => { setCursor(lowerBound(evSeq, s, N), true); frame(); },
    select: i => { select(i); frame(); },
    eventBody: () => $('event-body').innerText,
    x: t => tx(t),
    // Scrub the cursor across the visible window for `frames` animation frames, as a drag on
    // the time axis does. Resolves with, per frame: the time between frames, the script time,
    // and the main thread's whole work for the frame (script, style, layout and paint: from
    // the frame's start to the first task after its rendering).
    benchScrub: frames => new Promise(resolve => {
      const times = [], work = [], busy = [];
      const channel = new MessageChannel();
      let k = 0, last = performance.now(), start = 0;
      channel.port1.onmessage = () => busy.push(performance.now() - start);
      ui.scrubbing = true;
      function tick(now) {
        times.push(now - last); last = now;
        start = performance.now();
        scrubTo(GUTTER + (k % 200) / 200 * plotW());
        frame();
        work.push(performance.now() - start);
        channel.port2.postMessage(0);
        if (++k < frames) requestAnimationFrame(tick);
        else {
          ui.scrubbing = false; invalidate('panel');
          setTimeout(() => resolve({ frames: times.slice(1), work, busy }), 50);
        }
      }
      requestAnimationFrame(tick);
    }),
  };
}());
