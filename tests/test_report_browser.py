"""Open the HTML reports in a real headless Chromium and check what a reader would see.

The browser is driven over the DevTools protocol through ``--remote-debugging-pipe`` (file
descriptors 3 and 4, NUL-terminated JSON messages), with the standard library only. For each
report the test loads the file, then checks: no console error, no uncaught exception, no log
error (CSP violations and failed loads land there), no request other than the file itself
(offline), every chart rendered with the number of marks the data implies and inside its
box, the tables sortable by a click, and a non-empty screenshot.

Skips only when no Chromium binary is found (``XPUPLAN_CHROMIUM`` names one explicitly); CI
installs Debian's ``chromium`` and sets ``XPUPLAN_REQUIRE_CHROMIUM=1``, which turns the skip
into a failure.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from test_report_samples import comparison_result, serving_result, training_result
from xpuplan.report import write_report

_BINARIES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_TIMEOUT_S = 30.0


def _find_chromium() -> str | None:
    explicit = os.environ.get("XPUPLAN_CHROMIUM")
    if explicit:
        return explicit
    return next((path for name in _BINARIES if (path := shutil.which(name))), None)


class Browser:
    """A headless Chromium driven over the DevTools pipe."""

    def __init__(self, binary: str, profile: Path) -> None:
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire_fds() -> None:  # in the child: Chromium reads fd 3 and writes fd 4
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self.process = subprocess.Popen(
            [
                binary,
                "--headless",
                "--no-sandbox",  # CI runs as root, where the sandbox cannot start
                "--disable-gpu",
                "--remote-debugging-pipe",
                f"--user-data-dir={profile}",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--disable-background-networking",
                "--disable-sync",
                "--window-size=1280,900",
                "about:blank",
            ],
            pass_fds=(3, 4),
            preexec_fn=wire_fds,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.session = ""

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from Chromium")
            ready, _, _ = select.select([self._from_chrome], [], [], left)
            if ready:
                chunk = os.read(self._from_chrome, 1 << 16)
                if not chunk:
                    raise EOFError("Chromium closed the DevTools pipe")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        parsed: dict[str, Any] = json.loads(message)
        return parsed

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send one command (in the page session once attached) and wait for its answer."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if self.session and not method.startswith(("Target.", "Browser.")):
            message["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + _TIMEOUT_S
        while True:
            answer = self._receive(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                result: dict[str, Any] = answer.get("result", {})
                return result
            self.events.append(answer)

    def open(self, url: str) -> None:
        """Attach to a new page, enable the event domains, load ``url`` and wait for 'load'."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        attached = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})
        self.session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")
        self.call("Page.navigate", {"url": url})
        deadline = time.monotonic() + _TIMEOUT_S
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self.events.append(self._receive(deadline))

    def evaluate(self, expression: str) -> Any:
        answer = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in answer:
            raise RuntimeError(f"page script failed: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions and log errors seen so far."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(f"console.{params['type']}: {params.get('args')}")
            elif method == "Runtime.exceptionThrown":
                found.append(f"exception: {params.get('exceptionDetails')}")
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                found.append(f"log: {params['entry'].get('text')}")
        return found

    def requested_urls(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e.get("method") == "Network.requestWillBeSent"
        ]

    def close(self) -> None:
        try:
            self.call("Browser.close")
            self.process.wait(timeout=10)
        except (OSError, RuntimeError, TimeoutError, EOFError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait(timeout=10)
        finally:
            os.close(self._to_chrome)
            os.close(self._from_chrome)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    binary = _find_chromium()
    if binary is None:
        if os.environ.get("XPUPLAN_REQUIRE_CHROMIUM") == "1":
            pytest.fail("XPUPLAN_REQUIRE_CHROMIUM=1 but no chromium binary was found")
        pytest.skip("no chromium binary found (apt-get install chromium, or set XPUPLAN_CHROMIUM)")
    instance = Browser(binary, tmp_path / "profile")
    try:
        yield instance
    finally:
        instance.close()


# What each chart must show, counted by hand from the samples (see test_report_samples.py):
# 5 training plans, 4 vendors, 4 software stacks, 4 memory parts and 3 step-time parts per
# plan; a serving fleet of 2 types from 2 vendors, a single-type fleet and an unconstrained
# fleet of 1 type each; 3 options.
_EXPECTED_MARKS = {
    "training_plan": {
        "pareto": 5,
        "lock-in-vendor": 4,
        "lock-in-software-stack": 4,
        "memory": 5 * 4,
        "step-time": 5 * 3,
    },
    "serving_plan": {"vendor-share": 2, "fleet-cost": 2 + 1 + 1},
    "training_comparison": {
        "compare-cost": 3,
        "compare-time": 3,
        "memory": 3 * 4,
        "step-time": 3 * 3,
    },
}
_SAMPLES = {
    "training_plan": training_result,
    "serving_plan": serving_result,
    "training_comparison": comparison_result,
}

_INSPECT = """(() => {
  const inside = (el, box) => {
    const b = el.getBoundingClientRect();
    return b.left >= box.left - 1 && b.right <= box.right + 1 &&
           b.top >= box.top - 1 && b.bottom <= box.bottom + 1;
  };
  const charts = Array.from(document.querySelectorAll("svg.chart")).map((svg) => {
    const box = svg.getBoundingClientRect();
    const marks = Array.from(svg.querySelectorAll(".mark"));
    const texts = Array.from(svg.querySelectorAll("text"));
    return {
      name: svg.dataset.chart,
      declared: Number(svg.dataset.marks),
      marks: marks.length,
      visible: marks.filter((m) => {
        const b = m.getBoundingClientRect(); return b.width > 0 && b.height > 0;
      }).length,
      marksInside: marks.every((m) => inside(m, box)),
      textsOutside: texts.filter((t) => !inside(t, box)).map((t) => t.textContent),
      width: box.width,
      height: box.height,
    };
  });
  return {
    title: document.title,
    charts: charts,
    tables: document.querySelectorAll("table").length,
    overflow: document.documentElement.scrollWidth - window.innerWidth,
  };
})()"""


@pytest.mark.parametrize("kind", sorted(_SAMPLES))
def test_report_renders_in_chromium(browser: Browser, tmp_path: Path, kind: str) -> None:
    path = write_report(_SAMPLES[kind](), tmp_path / f"{kind}.html")
    url = path.resolve().as_uri()
    browser.open(url)
    page = browser.evaluate(_INSPECT)

    assert browser.problems() == []
    assert set(browser.requested_urls()) == {url}  # nothing fetched but the file itself
    assert page["overflow"] <= 0  # no horizontal scrolling of the page at 1280 px
    charts = {c["name"]: c for c in page["charts"]}
    assert {name: c["marks"] for name, c in charts.items()} == _EXPECTED_MARKS[kind]
    for chart in charts.values():
        assert chart["declared"] == chart["marks"] == chart["visible"], chart
        assert chart["marksInside"], chart
        assert chart["textsOutside"] == [], chart
        assert chart["width"] > 300 and chart["height"] > 50, chart
    shot = base64.b64decode(browser.call("Page.captureScreenshot", {"format": "png"})["data"])
    assert shot.startswith(b"\x89PNG") and len(shot) > 20_000


def test_plans_table_sorts_on_click(browser: Browser, tmp_path: Path) -> None:
    path = write_report(training_result(), tmp_path / "train.html")
    browser.open(path.resolve().as_uri())
    read_column = """Array.from(document.querySelectorAll('table[data-table="plans"] tbody tr'))
        .map((r) => Number(r.cells[9].dataset.v))"""
    header = """document.querySelectorAll('table[data-table="plans"] th')[9]"""
    assert browser.evaluate(f"{header}.textContent") == "wall time"
    browser.evaluate(f"{header}.click()")
    ascending = browser.evaluate(read_column)
    browser.evaluate(f"{header}.click()")
    descending = browser.evaluate(read_column)
    days = [12, 19, 20, 24, 40]  # wall times of the 5 sample plans, in days
    assert ascending == [d * 86400 for d in days]
    assert descending == [d * 86400 for d in reversed(days)]
    assert browser.problems() == []


def test_real_training_report_in_chromium(browser: Browser, tmp_path: Path) -> None:
    from xpuplan.catalog.load import load_catalog
    from xpuplan.plan import plan_training

    result = plan_training("llama-3.1-8b", "1T", catalog=load_catalog(), top=6).to_dict()
    path = write_report(result, tmp_path / "real.html")
    browser.open(path.resolve().as_uri())
    page = browser.evaluate(_INSPECT)
    assert browser.problems() == []
    charts = {c["name"]: c for c in page["charts"]}
    # One point per distinct plan among the top plans, the front and the best per group.
    plans = [
        *result["plans"],
        *result["pareto"],
        *(e["plan"] for e in result["lock_in"] if e["plan"]),
    ]
    distinct = {
        json.dumps([p[k] for k in ("provider", "region", "instance", "chips", "layout")])
        for p in plans
    }
    assert charts["pareto"]["marks"] == len(distinct)
    vendors = {e["group"] for e in result["lock_in"] if e["group_kind"] == "vendor" and e["plan"]}
    assert charts["lock-in-vendor"]["marks"] == len(vendors)
    for chart in charts.values():
        assert chart["declared"] == chart["marks"] == chart["visible"], chart
        assert chart["marksInside"] and chart["textsOutside"] == [], chart
