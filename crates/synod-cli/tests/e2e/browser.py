"""Headless Chromium for the view tests and benchmark (tests/e2e/view_e2e.py,
benches/view_bench.py): the flags this machine's Chromium needs and a fresh profile."""
import os
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def driver(prefix):
    opts = webdriver.ChromeOptions()
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1500,950",
                 "--user-data-dir=" + tempfile.mkdtemp(prefix=prefix)]:
        opts.add_argument(flag)
    opts.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    return webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")),
                            options=opts)
