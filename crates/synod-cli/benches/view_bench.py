"""Load and scrub a `synod view` page in headless Chromium, several times, and print figures.

Usage: view_bench.py PAGE.html RUNS
Run by crates/synod-cli/benches/view.rs (cargo bench -p synod-cli --bench view).

Each run opens the page in a fresh browser and measures:
- load: from the start of navigation to the page being drawn and ready (the page's own
  performance.now() when it is ready; its time origin is the start of navigation), and the
  wall time the driver waited for it;
- scrub: the cursor dragged across the diagram for 240 animation frames, as a drag on the
  time axis moves it (window.synodView.benchScrub), at three zooms: the whole run, 2 s and
  200 ms; frames per second from the times between frames, and the median of each frame's
  main-thread work (script, style, layout, paint), which bounds the frame rate the page can
  keep when the machine is not shared (1000 / work);
- redraw: zooming the whole run back in (a full redraw of the diagram).
"""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from browser import driver  # noqa: E402

PAGE, RUNS = sys.argv[1], int(sys.argv[2])


def one_run():
    d = driver("synod-view-bench-")
    d.set_script_timeout(300)
    try:
        started = time.time()
        d.get("file://" + os.path.abspath(PAGE))
        while not d.execute_script("return !!(window.synodView && window.synodView.ready)"):
            time.sleep(0.005)
        wall = (time.time() - started) * 1000
        ready = d.execute_script("return synodView.readyMs")
        events = d.execute_script("return synodView.events")
        scrub = {}
        # Warm up (the script's compiler, the first layout of the panel), not counted.
        d.execute_async_script("const done = arguments[0]; synodView.benchScrub(60).then(done)")
        for name, span in [("whole run", None), ("2 s", 2e6), ("200 ms", 2e5)]:
            if span is None:
                d.execute_script("synodView.setView(0, 1e15)")
            else:
                d.execute_script(f"const t = synodView.cursor().time; synodView.setView(t - {span} / 2, t + {span} / 2)")
            r = d.execute_async_script("const done = arguments[0]; synodView.benchScrub(240).then(done)")
            frames = r["frames"]
            scrub[name] = (1000 * len(frames) / sum(frames), statistics.median(r["work"]),
                           d.execute_script("return synodView.scene.arrowsDrawn"),
                           statistics.median(r["busy"]))
        t = time.time()
        d.execute_script("synodView.setView(0, 1e15)")
        redraw = (time.time() - t) * 1000
        return events, ready, wall, scrub, redraw
    finally:
        d.quit()


def main():
    runs = [one_run() for _ in range(RUNS)]
    events = runs[0][0]
    print(f"page: {PAGE} ({events} events), {RUNS} runs, figures as min / median")

    def line(label, xs, unit, best=min):
        print(f"  {label:<34} {best(xs):8.1f} / {statistics.median(xs):8.1f} {unit}")

    line("load, navigation to ready", [r[1] for r in runs], "ms")
    line("load, wall time seen by the driver", [r[2] for r in runs], "ms")
    for name in ["whole run", "2 s", "200 ms"]:
        fps = [r[3][name][0] for r in runs]
        work = [r[3][name][1] for r in runs]
        busy = [r[3][name][3] for r in runs]
        drawn = runs[0][3][name][2]
        print(f"  scrub, window {name:<9} ({drawn:5} arrows drawn): "
              f"{min(fps):5.1f} / {statistics.median(fps):5.1f} frames/s; a frame's main-thread work "
              f"{min(busy):4.1f} / {statistics.median(busy):4.1f} ms (script {min(work):4.1f} / "
              f"{statistics.median(work):4.1f} ms)")
    line("redraw of the whole run (zoom out)", [r[4] for r in runs], "ms")


if __name__ == "__main__":
    main()
