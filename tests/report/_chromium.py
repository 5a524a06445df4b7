"""Open a page in headless Chromium and read it back through the DevTools protocol.

The protocol runs over ``--remote-debugging-pipe`` (JSON messages ended by a NUL byte on
file descriptors 3 and 4 of the browser), so no websocket library and no network port
are needed. :func:`inspect_page` loads a page, waits for its ``load`` event and returns
what a reader would see: the DOM text of chosen elements, whether every image decoded,
a full-page PNG screenshot, the console messages and exceptions, log entries and the
URLs of every request the page made.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-pipe",
)


def find_chromium() -> str | None:
    """Debian's chromium if installed, else one on the PATH, else None."""
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    return shutil.which("chromium")


@dataclass
class PageReport:
    """What the browser saw (see the module docstring)."""

    screenshot: bytes
    texts: dict[str, list[str]]
    images: list[dict[str, Any]]
    console: list[dict[str, Any]] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    log_entries: list[dict[str, Any]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        """Console errors and warnings, exceptions, error log entries, foreign requests."""
        out = [f"console.{m['type']}: {m['text']}" for m in self.console if m["type"] != "log"]
        out += [f"exception: {e}" for e in self.exceptions]
        out += [
            f"log {e['level']}: {e['text']}"
            for e in self.log_entries
            if e["level"] in ("error", "warning")
        ]
        out += [f"request to {u}" for u in self.requests if not u.startswith(("file:", "data:"))]
        out += [f"image {i['alt']!r} did not decode" for i in self.images if not i["ok"]]
        return out


class _Pipe:
    """A DevTools-protocol session over the browser's pipe."""

    def __init__(self, proc: subprocess.Popen, to_browser: int, from_browser: int):
        self.proc, self.to_browser, self.from_browser = proc, to_browser, from_browser
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("chromium did not answer in time")
            ready, _, _ = select.select([self.from_browser], [], [], left)
            if ready:
                chunk = os.read(self.from_browser, 1 << 20)
                if not chunk:
                    raise RuntimeError(f"chromium closed its pipe (exit {self.proc.poll()})")
                self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(
        self, method: str, params: dict | None = None, session: str | None = None, timeout=60.0
    ) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, event: str, timeout: float = 60.0) -> dict[str, Any]:
        for seen in self.events:
            if seen.get("method") == event:
                return seen
        deadline = time.monotonic() + timeout
        while True:
            message = self._read_message(deadline)
            self.events.append(message)
            if message.get("method") == event:
                return message


_PAGE_STATE = """
(() => {
  const texts = {};
  for (const sel of SELECTORS) {
    texts[sel] = Array.from(document.querySelectorAll(sel)).map(e => e.innerText);
  }
  const images = Array.from(document.images).map(i => ({
    alt: i.alt, ok: i.complete && i.naturalWidth > 0, width: i.naturalWidth,
  }));
  return JSON.stringify({texts, images});
})()
"""


def inspect_page(
    path: Path, selectors: list[str], width: int = 1200, timeout: float = 90.0
) -> PageReport:
    """Load ``path`` in headless Chromium and report what it shows (see :class:`PageReport`)."""
    binary = find_chromium()
    if binary is None:
        raise FileNotFoundError(CHROMIUM)
    with tempfile.TemporaryDirectory(prefix="transferkit-chromium-") as profile:
        to_r, to_w = os.pipe()  # we write commands, the browser reads its fd 3
        from_r, from_w = os.pipe()  # the browser writes its fd 4, we read replies
        # Copies above 9, so that putting them on 3 and 4 in the child clobbers none.
        high_r, high_w = (fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_r, from_w))

        def _fds() -> None:  # in the child, before exec: dup2 makes 3 and 4 inheritable
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        proc = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},900"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_fds,
            close_fds=False,  # every other descriptor is close-on-exec (PEP 446)
        )
        for fd in (high_r, high_w):
            os.close(fd)
        os.close(to_r)
        os.close(from_w)
        cdp = _Pipe(proc, to_w, from_r)
        try:
            target = cdp.call("Target.createTarget", {"url": "about:blank"}, timeout=timeout)
            session = cdp.call(
                "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
            )["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                cdp.call(f"{domain}.enable", session=session)
            cdp.call(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
                session=session,
            )
            cdp.call("Page.navigate", {"url": path.resolve().as_uri()}, session=session)
            cdp.wait_for("Page.loadEventFired", timeout=timeout)
            state = cdp.call(
                "Runtime.evaluate",
                {
                    "expression": _PAGE_STATE.replace("SELECTORS", json.dumps(selectors)),
                    "returnByValue": True,
                },
                session=session,
            )
            page = json.loads(state["result"]["value"])
            shot = cdp.call(
                "Page.captureScreenshot",
                {"format": "png", "captureBeyondViewport": True},
                session=session,
                timeout=timeout,
            )
            time.sleep(0.2)  # let late console/log events arrive
            cdp.call("Runtime.evaluate", {"expression": "1"}, session=session)
        finally:
            try:
                cdp.call("Browser.close", timeout=10)
            except Exception:
                proc.kill()
            proc.wait(timeout=30)
            os.close(to_w)
            os.close(from_r)
    report = PageReport(
        screenshot=base64.b64decode(shot["data"]), texts=page["texts"], images=page["images"]
    )
    for event in cdp.events:
        params = event.get("params", {})
        method = event.get("method")
        if method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            report.console.append({"type": params["type"], "text": text})
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            report.exceptions.append(
                details.get("exception", {}).get("description") or details.get("text", "")
            )
        elif method == "Log.entryAdded":
            entry = params["entry"]
            report.log_entries.append({"level": entry["level"], "text": entry["text"]})
        elif method == "Network.requestWillBeSent":
            report.requests.append(params["request"]["url"])
    return report
