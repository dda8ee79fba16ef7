"""Real-browser test: start the app, wait for the Results page, move the 低保 assistance slider,
check the coverage KPI text changed, save a screenshot under tests/artifacts/.
Skipped only when /usr/bin/chromium is missing."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs /usr/bin/chromium"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless=true",
         f"--server.port={port}", "--server.address=127.0.0.1", "--browser.gatherUsageStats=false"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("streamlit did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _coverage_text(page) -> str:
    card = page.locator("[data-testid='stMetric']").filter(has_text="困难群众综合保障率").first
    return card.locator("[data-testid='stMetricValue']").inner_text()


def test_slider_moves_kpi_in_browser(server):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.goto(f"{server}/?n=5000", timeout=60_000)
        page.wait_for_selector("[data-testid='stMetric']", timeout=90_000)
        page.wait_for_selector(IDLE, timeout=90_000)
        before = _coverage_text(page)
        slider = page.locator("[data-testid='stSlider']").filter(has_text="dibao").first
        thumb = slider.get_by_role("slider")
        thumb.focus()
        for _ in range(10):  # ten steps of 0.5 points: 90% -> 95%
            thumb.press("ArrowRight")
        page.wait_for_timeout(300)
        page.wait_for_selector(IDLE, timeout=60_000)
        page.wait_for_function(
            """([label, old]) => [...document.querySelectorAll("[data-testid='stMetric']")]
                 .some(m => m.innerText.includes(label) && !m.innerText.includes(old))""",
            arg=["困难群众综合保障率", before],
            timeout=30_000,
        )
        after = _coverage_text(page)
        assert after != before
        assert float(after.rstrip("%")) > float(before.rstrip("%"))
        assert "medical_assistance.inpatient_ratio.dibao" in page.url
        page.screenshot(path=str(ARTIFACTS / "results.png"), full_page=True)
        browser.close()
