"""End-to-end test of `synod lin --html` pages in headless Chromium, opened from file://.

Usage: lin_e2e.py SCREENSHOT_DIR REFUTED.html REGISTER.html LINEARIZABLE.html NEVER.html
Run by crates/synod-cli/tests/lin_e2e.rs (cargo test). Exits non-zero on the first failure.
Each page is checked against the data it embeds: what is drawn must be what the check found.
"""
import os
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

SHOTS = sys.argv[1]
REFUTED, REGISTER, LINEARIZABLE, NEVER = sys.argv[2:6]
os.makedirs(SHOTS, exist_ok=True)


def driver():
    opts = webdriver.ChromeOptions()
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1500,950",
                 "--user-data-dir=" + tempfile.mkdtemp(prefix="synod-lin-e2e-")]:
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    opts.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    return webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")),
                            options=opts)


def shot(d, name):
    path = os.path.join(SHOTS, name + ".png")
    d.save_screenshot(path)
    print("screenshot", path)


def check(d, cond, what):
    if not cond:
        shot(d, "FAILED-lin-" + what.replace(" ", "-")[:60])
        raise AssertionError(what)
    print("ok:", what)


def load(d, page):
    d.get("file://" + page)
    end = time.time() + 20
    while time.time() < end:
        if d.execute_script("return !!(window.synodLin && window.synodLin.view.k)"):
            break
        time.sleep(0.05)
    errors = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
    check(d, not errors, f"no errors in the console of {os.path.basename(page)}: {errors}")
    return d.execute_script("return window.synodLin.data")


def css(d, sel):
    return d.find_elements(By.CSS_SELECTOR, sel)


def text(d, id_):
    return d.find_element(By.ID, id_).text


def selected_key(d):
    return d.execute_script("return window.synodLin.view.k")


def refuted_page(d):
    data = load(d, REFUTED)
    check(d, text(d, "verdict") == "NOT linearizable", "the verdict badge says NOT linearizable")
    check(d, len(css(d, "nav#keys button")) == len(data["keys"]) == 10, "one button per key, ten keys")
    k = selected_key(d)
    check(d, k["status"] == "not", "the refuted key is shown first")
    check(d, "selected" in css(d, "nav#keys button .dot.not")[0].find_element(By.XPATH, "..").get_attribute("class"),
          "its button is selected and marked red")
    clients = len({op[0] for op in k["ops"]})
    check(d, int(d.find_element(By.ID, "svg").get_attribute("data-lanes")) == clients, "one lane per client")
    check(d, len(css(d, "#lanes div")) == clients, "the lanes are labelled")
    blocked = css(d, "#svg g.bar.blocked")
    check(d, len(blocked) == 1, "the operation that cannot be placed is drawn once, in red")
    check(d, int(blocked[0].get_attribute("data-op")) == k["blocked"], "it is the blocked operation of the data")
    check(d, css(d, "#svg line.cut"), "the dashed line at its return is drawn")
    placed = css(d, "#svg g.bar.placed")
    check(d, placed and all(int(g.get_attribute("data-op")) in k["order"] for g in placed),
          "blue bars are exactly operations of the prefix")
    check(d, len(css(d, "#order-rows tr")) == len(k["order"]), "the table lists the prefix")
    last_state = css(d, "#order-rows tr")[-1].find_elements(By.TAG_NAME, "td")[4].get_attribute("title")
    check(d, last_state == k["stateAfter"] == k["states"][-1], "the table's last state is the state after the prefix")
    why = text(d, "why")
    check(d, k["stateAfter"] in why and "must take effect before it returns" in why,
          "the explanation names the state and the operation")
    shot(d, "lin-refuted-key")

    # The explanation's operation scrolls the timeline to it and selects it.
    css(d, "#why .op.blocked")[0].click()
    time.sleep(0.2)
    check(d, d.execute_script("return window.synodLin.view.selected") == k["blocked"], "clicking it selects it")
    check(d, "selected" in css(d, "#svg g.bar.blocked")[0].get_attribute("class"), "and outlines its bar")

    # A bar of the prefix selects its row in the table; its tooltip says where it stands.
    d.execute_script("window.synodLin.fit()")
    bar = css(d, "#svg g.bar.placed")[0]
    op = int(bar.get_attribute("data-op"))
    d.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", bar)
    step = k["order"].index(op)
    rows = css(d, "#order-rows tr.selected")
    check(d, len(rows) == 1 and rows[0].get_attribute("data-step") == str(step), "clicking a bar selects its row")
    d.execute_script("""const b = document.querySelector('#svg g.bar[data-op="%d"]');
        b.dispatchEvent(new MouseEvent('mousemove', {bubbles: true, clientX: 300, clientY: 300}));""" % op)
    tip = text(d, "tip")
    check(d, f"#{step + 1} of {len(k['order'])}" in tip and "state after:" in tip, "the tooltip gives its place and state")

    # Zoom: fit draws every operation of the key; zooming in draws fewer (only what is in view).
    d.execute_script("window.synodLin.fit()")
    shown = int(d.find_element(By.ID, "svg").get_attribute("data-shown"))
    check(d, shown == len(k["ops"]), "fitted, every operation is drawn")
    for _ in range(5):
        d.find_element(By.ID, "zoom-in").click()
    zoomed = int(d.find_element(By.ID, "svg").get_attribute("data-shown"))
    check(d, 0 < zoomed < shown, f"zoomed in, only the operations in view are drawn ({zoomed} of {shown})")

    # Another key: a key that was not needed for the verdict says so.
    other = next(i for i, key in enumerate(data["keys"]) if key["status"] != "not")
    css(d, "nav#keys button")[other].click()
    k2 = selected_key(d)
    check(d, text(d, "key-name") == 'key "%s"' % k2["key"], "choosing another key shows it")
    check(d, text(d, "key-status") in ("linearizable", "not decided"), "with its own status")
    check(d, not css(d, "#svg g.bar.blocked"), "and no blocked operation")
    check(d, not d.find_element(By.ID, "tip").is_displayed(), "the tooltip of the previous key is gone")
    shot(d, "lin-other-key")


def register_page(d):
    data = load(d, REGISTER)
    k = selected_key(d)
    check(d, len(data["keys"]) == 1 and text(d, "key-name") == "the history", "one register, no keys")
    cands = [c for c in k["candidates"] if c[0] != k["blocked"]]
    check(d, len(css(d, "#svg g.bar.candidate")) == len([c for c in cands if c[0] is not None]),
          "every other candidate is drawn in orange")
    check(d, len(css(d, "#why .op.cand")) == len(cands), "and listed in the explanation")
    check(d, css(d, "#svg circle.point"), "linearization points are drawn")
    shot(d, "lin-register")


def linearizable_page(d):
    data = load(d, LINEARIZABLE)
    check(d, text(d, "verdict") == "linearizable", "a linearizable history says so")
    check(d, len(css(d, "nav#keys button .dot.linearizable")) == len(data["keys"]), "every key is green")
    k = selected_key(d)
    check(d, all(i in k["order"] for i, op in enumerate(k["ops"]) if not op[5]),
          "the linearization holds every definite operation")
    check(d, len(css(d, "#svg circle.point")) == len(k["order"]), "one dot per step, fitted")
    check(d, d.find_element(By.ID, "goto-blocked").get_attribute("hidden") is not None, "nothing is blocked")
    check(d, "Linearizable" in text(d, "why"), "the explanation says linearizable")
    shot(d, "lin-linearizable")


def never_page(d):
    load(d, NEVER)
    k = selected_key(d)
    check(d, k["neverPossible"] is not None, "the shortcut found an operation that is never possible")
    check(d, "possible in no state" in text(d, "why"), "the explanation says it is never possible")
    check(d, "</script><b>boo" in text(d, "why"), "values are shown as text, not markup")
    check(d, not css(d, "#why b"), "no markup from the history leaked into the page")
    check(d, len(css(d, "#order-rows tr")) == 0, "there is no prefix to list")
    shot(d, "lin-never-possible")


d = driver()
try:
    refuted_page(d)
    register_page(d)
    linearizable_page(d)
    never_page(d)
finally:
    d.quit()
print("e2e: all passed")
