"""End-to-end test of `synod view` pages in headless Chromium: look at what is drawn.

Usage: view_e2e.py PAGE_DIR SCREENSHOT_DIR
Run by crates/synod-cli/tests/view_e2e.rs (cargo test), which writes the pages into PAGE_DIR:
raft-figure8.html, raft-figure8-bug.html, multipaxos-failover.html, paxos-duel.html,
not-linearizable.html and window.svg. Each page opens from file:// (no server). The page
exposes what it drew as window.synodView.scene (lanes, arrows, role segments, the log grid at
the cursor, the violation marker); pixels are read from its canvases where it matters.
Exits non-zero on the first failure.
"""
import os
import sys
import time

from browser import driver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

PAGES, SHOTS = sys.argv[1], sys.argv[2]
os.makedirs(SHOTS, exist_ok=True)


def shot(d, name):
    # Let the page draw what the last input changed (it draws in animation frames).
    d.execute_async_script("requestAnimationFrame(() => requestAnimationFrame(arguments[0]))")
    path = os.path.join(SHOTS, "view-" + name + ".png")
    d.save_screenshot(path)
    print("screenshot", path)


def load(d, page):
    d.get("file://" + os.path.join(PAGES, page))
    end = time.time() + 30
    while time.time() < end:
        if d.execute_script("return !!(window.synodView && window.synodView.ready)"):
            errors = [l for l in d.get_log("browser") if l["level"] == "SEVERE"]
            assert not errors, errors
            return
        time.sleep(0.05)
    shot(d, "FAILED-load-" + page)
    raise AssertionError("the page did not get ready: " + page)


def js(d, script):
    return d.execute_script("return " + script)


def scene(d):
    return js(d, "synodView.scene")


def grid(d):
    """The log grid or slot table as drawn at the cursor: {(node name, table, index): text}."""
    return {(c["name"], c["table"], c["index"]): c["text"] for c in scene(d)["grid"]}


def fields(d):
    return {row["name"]: row for row in scene(d)["fields"]}


def pixel(d, canvas_id, x, y):
    return js(d, f"Array.from(document.getElementById('{canvas_id}').getContext('2d')"
                 f".getImageData({x} * devicePixelRatio, {y} * devicePixelRatio, 1, 1).data)")


def check(cond, what, d=None, name=None):
    if not cond:
        if d is not None:
            shot(d, "FAILED-" + (name or "check"))
        raise AssertionError(what)


def figure8(d):
    load(d, "raft-figure8.html")
    lanes = [l["name"] for l in scene(d)["lanes"]]
    check(lanes == ["n1", "n2", "n3", "n4", "n5", "client 1", "client 2", "client 3"], lanes)
    check(js(d, "document.getElementById('safety').textContent") == "safety held", "safety badge")
    check(js(d, "document.getElementById('lin').textContent") == "linearizable", "lin badge")
    s = scene(d)
    check(s["arrowsDrawn"] > 500 and s["arrowsDrawn"] == s["arrowsVisible"], f"arrows {s['arrowsDrawn']}")
    check(s["roleSegments"] >= 10, f"role segments {s['roleSegments']}")
    check(s["bands"] == 2, f"the partition and the one-way cut: {s['bands']}")
    faults = " ".join(f["text"] for f in s["faults"])
    check("partition n1,n2 | n3,n4,n5" in faults and "crash n1" in faults, faults)
    # The scenario's ten notes, flagged on the time axis in order.
    flags = s["notes"]
    check([f["n"] for f in flags] == list(range(1, 11)), flags, d, "f8-notes")
    check(flags[1]["t"] == 244000 and flags[1]["text"].startswith("(a) n1 leads term 1"), flags[1])
    check(all(a["x"] < b["x"] for a, b in zip(flags, flags[1:])), "flags in time order")
    # (A corner of the flag: its number is white.)
    r, g, b, _ = pixel(d, "diagram", round(flags[1]["x"]) - 5, flags[1]["y"] - 2)
    check(b > 150 and r < 80, f"the flag is blue: {(r, g, b)}", d, "f8-note-flag")
    shot(d, "raft-figure8-whole-run")

    # (c): the leader of term 6 has index 8 (term 1) on n1..n4, a majority, and does not commit
    # it (5.4.2). That is the last event at 931.52 ms of seed 2.
    js(d, "synodView.setView(850000, 1050000)")
    js(d, "synodView.setCursorTime(931520)")
    g, f = grid(d), fields(d)
    for n in ["n1", "n2", "n3", "n4"]:
        check(g.get((n, "log", 8)) == "1", f"{n} index 8 should be term 1: {g.get((n, 'log', 8))}", d, "f8-grid")
    check(g.get(("n5", "log", 8)) == "2", f"n5 index 8 is term 2: {g.get(('n5', 'log', 8))}", d, "f8-grid")
    check(g.get(("n1", "log", 11)) == "6", "n1 index 11 is its term-6 no-op", d, "f8-grid")
    commits = {c["name"]: c["commit"] for c in scene(d)["commits"]}
    check(commits["n1"] == 7, f"the leader does not commit index 8: {commits}", d, "f8-commit")
    check(f["n1"]["role"] == "leader" and f["n1"]["term"] == "6", f["n1"])
    check(f["n5"]["down"], "n5 is down at 931.5 ms")
    # The note of that moment is in the Note card and in the narration, the observer's lines
    # are labelled as the observer's.
    note = scene(d)["note"]
    check(note["n"] == 7 and note["t"] == 931500, note, d, "f8-note")
    card = js(d, "document.getElementById('note-card').innerText")
    check(not js(d, "document.getElementById('note-card').hidden"), "the Note card shows", d, "f8-note")
    check("Note 7 of 10, at 931.5 ms" in card and "Now index 8 (term 1) is on n1, n2, n3 and n4" in card, card, d, "f8-note")
    narration = js(d, "document.getElementById('narration').innerText")
    check("[note] Now index 8 (term 1)" in narration, narration, d, "f8-narration")
    check("[n1] index 8 (term 1) is on 3/5, a majority, but only entries of my term 6 commit by counting: waiting (5.4.2)" in narration, narration, d, "f8-narration")
    check(len(scene(d)["notes"]) == 3, scene(d)["notes"])
    title = js(d, "document.getElementById('grid-title').textContent")
    check(title == "Log (cells: term; bar: commit index)", title, d, "f8-grid-title")
    shot(d, "raft-figure8-c-not-committed")

    # Keyboard steps: Right moves to the next event and shows it.
    seq = js(d, "synodView.cursor().seq")
    ActionChains(d).send_keys(Keys.ARROW_RIGHT).perform()
    check(js(d, "synodView.cursor().seq") == seq + 1, "Right steps one event")
    body = js(d, "synodView.eventBody()")
    check("AppendEntries" in body, body)

    # Click an arrow: its message body. The AppendEntries that n1 sent to n3 at 931.52 ms.
    # (The cursor and the selection elsewhere first, so that what shows comes of the click.)
    js(d, "synodView.setCursorTime(870000)")
    js(d, "synodView.select(-1)")
    check("Click an arrow" in js(d, "synodView.eventBody()"), "nothing selected")
    x = js(d, "synodView.x(931520)")
    lanes = {l["name"]: l for l in scene(d)["lanes"]}
    y0, y1 = lanes["n1"]["y"], lanes["n3"]["y"]
    x1 = js(d, "synodView.x(936520)")
    canvas = d.find_element(By.ID, "overlay")
    ActionChains(d).move_to_element_with_offset(canvas, 0, 0).perform()
    # Three quarters of the way: the arrow's delivery end, so the step is n3 handling it.
    mx, my = x + 0.75 * (x1 - x), y0 + 0.75 * (y1 - y0)
    rect = js(d, "(() => { const r = document.getElementById('overlay').getBoundingClientRect(); return [r.width, r.height]; })()")
    ActionChains(d).move_to_element_with_offset(canvas, mx - rect[0] / 2, my - rect[1] / 2).click().perform()
    body = js(d, "synodView.eventBody()")
    check("AppendEntries n1 \u2192 n3" in body and '"prev_log_index": 8' in body, body, d, "f8-click")
    check("n3 at 936.5 ms" in body and "entry 9" in body and "log/9" in body, body, d, "f8-click-step")
    check(js(d, "synodView.cursor().time") == 936520, "the click moves the cursor to the delivery")
    shot(d, "raft-figure8-message-clicked")

    # Filters: hide AppendEntries, then client 1.
    before = scene(d)["arrowsDrawn"]
    d.find_element(By.CSS_SELECTOR, "#kind-filter .chip[data-kind='AppendEntries']").click()
    js(d, "synodView.setView(synodView.view().t0, synodView.view().t1)")
    check(scene(d)["arrowsDrawn"] < before, "hiding AppendEntries hides arrows")
    d.find_element(By.CSS_SELECTOR, "#kind-filter .chip[data-kind='AppendEntries']").click()
    d.find_element(By.CSS_SELECTOR, "#node-filter .chip[data-node='5']").click()
    js(d, "synodView.setView(synodView.view().t0, synodView.view().t1)")
    names = [l["name"] for l in scene(d)["lanes"]]
    check("client 1" not in names and len(names) == 7, names)
    d.find_element(By.CSS_SELECTOR, "#node-filter .chip[data-node='5']").click()


def figure8_bug(d):
    load(d, "raft-figure8-bug.html")
    badge = js(d, "document.getElementById('safety').textContent")
    check("leader completeness" in badge, badge)
    # The page opens at the violation, drawn as a red line with its name.
    s = scene(d)
    check(s["violationX"] is not None, "the violation marker is drawn", d, "bug-marker")
    check(js(d, "synodView.cursor().time") == 1392725, js(d, "synodView.cursor()"))
    lane = s["lanes"][2]
    r, g, b, _ = pixel(d, "diagram", round(s["violationX"]), round(lane["top"] + lane["height"] / 2))
    check(r > 150 and g < 90 and b < 90, f"the marker is red: {(r, g, b)}", d, "bug-marker-colour")
    g = grid(d)
    check(g.get(("n5", "log", 8)) == "2", "n5, the new leader, has term 2 at index 8")
    check(g.get(("n3", "log", 8)) == "1", "n3 has the committed term-1 entry")
    commits = {c["name"]: c["commit"] for c in scene(d)["commits"]}
    check(commits["n3"] == 8, f"n3 committed index 8: {commits}")
    check(fields(d)["n5"]["role"] == "leader", "n5 leads")
    shot(d, "raft-figure8-bug-violation")
    # With the bug, the leader of term 6 commits index 8 at 931.52 ms.
    js(d, "synodView.setCursorTime(931520)")
    commits = {c["name"]: c["commit"] for c in scene(d)["commits"]}
    check(commits["n1"] == 8, f"the buggy leader commits index 8: {commits}", d, "bug-commit")
    shot(d, "raft-figure8-bug-commits-old-term")
    # `v` comes back to the violation.
    ActionChains(d).send_keys("v").perform()
    check(js(d, "synodView.cursor().time") == 1392725, "v goes to the violation")


def multipaxos(d):
    load(d, "multipaxos-failover.html")
    lanes = [l["name"] for l in scene(d)["lanes"]]
    check(lanes[:7] == ["acceptor 1", "acceptor 2", "acceptor 3", "leader 1", "leader 2",
                        "replica 1", "replica 2"], lanes)
    js(d, "synodView.setView(0, 1e12)")
    s = scene(d)
    check(s["arrowsDrawn"] > 100, s["arrowsDrawn"])
    js(d, "synodView.setCursorSeq(1e9)")
    f = fields(d)
    check(f["leader 1"]["down"], "leader 1 crashed")
    check(f["leader 2"]["role"] == "leader", f["leader 2"])
    g = grid(d)
    accepted = [k for k in g if k[1] == "accepted"]
    chosen = [k for k in g if k[1] == "chosen" and k[0] == "replica 1"]
    check(len(accepted) >= 9 and len(chosen) >= 3, (accepted, chosen))
    # The acceptors accepted the slots after the failover in the new leader's ballot.
    ballots = {g[k] for k in accepted}
    check(any(b.endswith(".2") for b in ballots), ballots, d, "mp-ballots")
    check(js(d, "document.getElementById('lin').textContent") == "linearizable", "lin")
    shot(d, "multipaxos-failover")
    # At the crash (60 ms), zoomed in.
    js(d, "synodView.setView(40000, 200000)")
    js(d, "synodView.setCursorTime(61000)")
    check(fields(d)["leader 1"]["down"], "leader 1 is down at 61 ms")
    shot(d, "multipaxos-failover-crash")


def paxos(d):
    load(d, "paxos-duel.html")
    lanes = [l["name"] for l in scene(d)["lanes"]]
    check(lanes == ["n1", "n2", "n3", "n4", "n5"], lanes)
    kinds = js(d, "Array.from(document.querySelectorAll('#kind-filter .chip')).map(c => c.dataset.kind)")
    check({"p1a", "p1b", "reject", "p2a", "p2b"} <= set(kinds), kinds)
    js(d, "synodView.setView(0, 60000)")
    js(d, "synodView.setCursorTime(14000)")
    f = fields(d)
    ballots = {row["ballot"] for row in f.values()}
    check(len(ballots - {"nothing"}) >= 3, f"several ballots duel at 14 ms: {ballots}")
    shot(d, "paxos-duel-ballots")
    js(d, "synodView.setCursorSeq(1e9)")
    f = fields(d)
    decided = {row["decided"] for row in f.values()}
    check(len(decided) == 1 and "-" not in decided, f"every learner decided one value: {decided}")
    check(scene(d)["marks"] >= 5, "decisions are marked")
    shot(d, "paxos-duel-decided")


def vr(d):
    # VR calls its leader a primary: the page marks it by what its role events say the role
    # means (it leads), not by its name, and draws VR's log as commands with the commit-number
    # as the bar. n1, the primary of view 0, crashes at 200 ms; n2 leads view 1 from 396 ms.
    load(d, "vr-primary-crash.html")
    lanes = [l["name"] for l in scene(d)["lanes"]]
    check(lanes[:5] == ["n1", "n2", "n3", "n4", "n5"], lanes)
    legend = js(d, "document.getElementById('legend').textContent")
    check(all(r in legend for r in ["primary", "backup", "view-change", "recovering"]), legend)
    js(d, "synodView.setView(0, 1000000)")
    js(d, "synodView.setCursorTime(0)")
    # At the start every log is empty; the title still says what VR's cells are.
    title = js(d, "document.getElementById('grid-title').textContent")
    check(title == "Log (cells: command; bar: commit index)", title, d, "vr-grid-title-start")
    js(d, "synodView.setCursorTime(450000)")
    marks = js(d, "[...document.querySelectorAll('.lane-mark')].map(e => e.textContent)")
    check(marks[:3] == ["\u2716", "\u265b", ""], f"n1 down, n2 wears the crown: {marks}", d, "vr-crown")
    f = fields(d)
    check(f["n2"]["status"] == "normal" and f["n2"]["view"] == "1" and f["n3"]["primary"] == "n2", f)
    s = scene(d)
    lane = {l["name"]: l for l in s["lanes"]}["n2"]
    # Messages to n1, which is down, cross n2's band here and there: most of it shows.
    band = [pixel(d, "diagram", round(js(d, f"synodView.x({t})")), round(lane["top"] + 4))
            for t in range(420000, 1000000, 20000)]
    gold = [p for p in band if p[0] > 200 and p[1] > 150 and p[2] < 80]
    check(len(gold) * 2 > len(band), f"n2's role band is a leader's gold: {band}", d, "vr-band")
    title = js(d, "document.getElementById('grid-title').textContent")
    check(title == "Log (cells: command; bar: commit index)", title, d, "vr-grid-title")
    grid_now = grid(d)
    commits = {c["name"]: c["commit"] for c in s["commits"]}
    check(commits["n2"] >= 30, commits)
    shared = [k for (n, t, k) in grid_now if n == "n2" and t == "log" and k <= commits["n3"]]
    check(len(shared) >= 5 and all(grid_now[("n2", "log", k)] == grid_now[("n3", "log", k)] for k in shared),
          f"n2 and n3 hold the same committed ops: {grid_now}", d, "vr-grid")
    check(all(len(grid_now[("n2", "log", k)].split(" ")) == 2 for k in shared), grid_now)
    shot(d, "vr-primary-crash-view-1")


def not_linearizable(d):
    load(d, "not-linearizable.html")
    badge = js(d, "document.getElementById('lin').textContent")
    check(badge == "NOT linearizable", badge)
    s = scene(d)
    check(s["linMarks"] >= 1, "the operation that cannot be placed is outlined", d, "lin-mark")
    body = js(d, "synodView.eventBody()")
    check("GET" in body, body)
    why = js(d, "document.getElementById('why').textContent")
    check("not linearizable" in why, why)
    shot(d, "not-linearizable")


def svg(d):
    d.get("file://" + os.path.join(PAGES, "window.svg"))
    texts = js(d, "Array.from(document.querySelectorAll('text')).map(t => t.textContent)")
    for want in ["n1", "n5", "client 1", "AppendEntries"]:
        check(want in texts, f"{want} in {texts[:20]}")
    check(js(d, "document.querySelectorAll('line[marker-end]').length") > 10, "arrows")
    shot(d, "svg-window")


def main():
    d = driver("synod-view-e2e-")
    try:
        figure8(d)
        figure8_bug(d)
        multipaxos(d)
        paxos(d)
        vr(d)
        not_linearizable(d)
        svg(d)
    finally:
        d.quit()
    print("e2e: all passed")


if __name__ == "__main__":
    main()
