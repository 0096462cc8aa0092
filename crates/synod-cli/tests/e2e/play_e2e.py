"""End-to-end test of `synod play` in headless Chromium: act as a player.

Usage: play_e2e.py BASE_URL SCREENSHOT_DIR
Run by crates/synod-cli/tests/play_e2e.rs (cargo test). Exits non-zero on the first failure.
"""
import json
import os
import sys
import urllib.request
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

BASE, SHOTS = sys.argv[1].rstrip("/"), sys.argv[2]
os.makedirs(SHOTS, exist_ok=True)


def driver():
    opts = webdriver.ChromeOptions()
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1500,950",
                 "--user-data-dir=" + tempfile.mkdtemp(prefix="synod-e2e-")]:
        opts.add_argument(flag)
    opts.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    return webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")),
                            options=opts)


def wait(d, what, pred, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    shot(d, "FAILED-" + what.replace(" ", "-"))
    raise AssertionError("timed out waiting for: " + what)


def shot(d, name):
    path = os.path.join(SHOTS, name + ".png")
    d.save_screenshot(path)
    print("screenshot", path)


def nodes(d):
    return d.find_elements(By.CSS_SELECTOR, ".node")


def leaders(d):
    return [n for n in nodes(d) if "leader" in n.get_attribute("class").split()]


def safety(d):
    return d.find_element(By.ID, "safety-status").text


def load(d, query):
    d.get(BASE + "/?" + query)
    wait(d, "the game to start", lambda: d.execute_script("return window.synodPlay && window.synodPlay.id"))


def post(path, body):
    req = urllib.request.Request(BASE + path, data=json.dumps(body).encode(),
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def raft_win_script(seed):
    """Beat broken Raft through the API: keep a follower down while the leader commits, then
    recover it and kill the leader. Returns the replay script if the violation came."""
    g = post("/api/game", {"protocol": "raft", "nodes": 3, "broken": True, "seed": seed})
    gid, stage, leader, stale = g["id"], 0, 0, 0
    for _ in range(600):
        s = post(f"/api/game/{gid}/advance", {"ms": 500, "cursor": 1 << 30})
        if not s["safety"]["holds"]:
            return s["script"]
        if stage == 0:
            ls = [i for i, n in enumerate(s["nodes"]) if n["leader"]]
            if ls:
                leader, stale = ls[0], (ls[0] + 1) % 3
                post(f"/api/game/{gid}/action", {"action": "kill", "node": stale})
                stage = 1
        elif stage == 1 and s["score"]["decided_ms"] is not None:
            post(f"/api/game/{gid}/action", {"action": "recover", "node": stale})
            post(f"/api/game/{gid}/action", {"action": "kill", "node": leader})
            stage = 2
    return None


def main():
    d = driver()
    try:
        # 1. The three nodes render; a leader gets a crown; a decision appears; safety holds.
        load(d, "protocol=paxos&nodes=3&seed=11&speed=5")
        names = [n.find_element(By.CLASS_NAME, "name").text.lower() for n in nodes(d)]
        assert names == ["red", "green", "blue"], names
        shot(d, "01-paxos-start")
        wait(d, "a crown", lambda: leaders(d))
        crown = leaders(d)[0].find_element(By.CLASS_NAME, "crown")
        assert crown.is_displayed(), "the leader's crown is not shown"
        shot(d, "02-paxos-leader-crown")
        wait(d, "a decision", lambda: any("decided" in n.find_element(By.CLASS_NAME, "value").text for n in nodes(d)))
        wait(d, "every node decided", lambda: all("decided" in n.find_element(By.CLASS_NAME, "value").text for n in nodes(d)))
        assert safety(d) == "safety holds", safety(d)
        lanes = d.find_elements(By.CSS_SELECTOR, ".lane div")
        assert any(l.text.startswith("p1a(") for l in lanes), [l.text for l in lanes][:5]
        shot(d, "03-paxos-decided")

        # 2. Double-click the leader: it dies, another node takes over; safety holds.
        #    At 2x until the kill (before the leader's decision), then 5x (key 4).
        load(d, "protocol=paxos&nodes=3&seed=11&speed=2")
        wait(d, "a crown", lambda: leaders(d))
        victim = leaders(d)[0]
        vid = victim.get_attribute("id")
        ActionChains(d).double_click(victim).perform()
        wait(d, "the leader to die", lambda: "down" in d.find_element(By.ID, vid).get_attribute("class"))
        ActionChains(d).send_keys("4").perform()
        shot(d, "04-paxos-leader-killed")
        wait(d, "another node to take over",
             lambda: any(l.get_attribute("id") != vid for l in leaders(d)), timeout=90)
        assert safety(d) == "safety holds", safety(d)
        wait(d, "a decision after the takeover",
             lambda: any("decided" in n.find_element(By.CLASS_NAME, "value").text for n in nodes(d)), timeout=90)
        assert safety(d) == "safety holds", safety(d)
        shot(d, "05-paxos-takeover-decided")

        # 3. The broken protocol (ignore-p1b-values): hold the leader as soon as it has the
        #    crown, so its p3 never leaves; another proposer ignores the reported value.
        #    At 1x, so that the player is quick enough; then 5x (key 4) while holding.
        load(d, "protocol=paxos&nodes=3&broken=1&seed=11&speed=1")
        wait(d, "a crown", lambda: leaders(d))
        leader = leaders(d)[0]
        ActionChains(d).click_and_hold(leader).perform()
        wait(d, "the held node", lambda: "held" in leader.get_attribute("class"))
        assert not any("decided" in n.find_element(By.CLASS_NAME, "value").text for n in nodes(d)), \
            "held too late: a node decided before the hold"
        ActionChains(d).send_keys("4").perform()
        time.sleep(1.5)
        shot(d, "06-broken-paxos-leader-held")
        wait(d, "the violation", lambda: safety(d) == "violated", timeout=120)
        ActionChains(d).release(leader).perform()
        why = d.find_element(By.ID, "why")
        assert why.is_displayed() and "P2c" in why.text, why.text
        shot(d, "07-broken-paxos-violated")

        # 4. BeatRaft: a leader with a crown, committed entries, safety holds.
        load(d, "protocol=raft&nodes=3&seed=5&speed=5")
        wait(d, "a Raft leader", lambda: leaders(d))
        wait(d, "a commit", lambda: any("commit" in n.find_element(By.CLASS_NAME, "value").text and
                                       "commit 0" not in n.find_element(By.CLASS_NAME, "value").text
                                       for n in nodes(d)), timeout=90)
        assert safety(d) == "safety holds", safety(d)
        shot(d, "08-raft-leader")

        # 5. Broken Raft, beaten through the API, then shown by its replay link.
        script = raft_win_script(2)
        assert script, "broken Raft was not beaten on seed 2"
        load(d, "protocol=raft&nodes=3&broken=1&seed=2&speed=1&script=" + script)
        wait(d, "the replayed violation", lambda: safety(d) == "violated")
        why = d.find_element(By.ID, "why")
        assert "5.4.1" in why.text, why.text
        time.sleep(0.5)
        shot(d, "09-broken-raft-replayed-violation")

        # 6. Five nodes.
        load(d, "protocol=paxos&nodes=5&seed=2&speed=5")
        assert len(nodes(d)) == 5
        wait(d, "a crown among five", lambda: leaders(d))
        time.sleep(1.0)
        shot(d, "10-paxos-five-nodes")
        print("e2e: all passed")
    finally:
        d.quit()


if __name__ == "__main__":
    main()
