"""Headless Chromium driven over the DevTools protocol with the standard library only.

``--remote-debugging-pipe`` makes Chromium read protocol commands from its fd 3 and write
replies and events to its fd 4, as JSON messages each ended by a NUL byte. A shell maps
our pipes (the child's stdin and stdout) onto those fds, so no websocket client and no
extra test dependency is needed. Every read has a deadline.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import psutil

#: Names the browser goes by (Debian's package installs ``chromium``).
EXECUTABLES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """The path of a Chromium (or Chrome) executable, or None."""
    for name in EXECUTABLES:
        path = shutil.which(name)
        if path:
            return path
    return None


class DevToolsError(RuntimeError):
    """The browser answered a command with an error, went away, or did not answer."""


class Chromium:
    """One headless browser; use as a context manager (it is closed and reaped on exit)."""

    def __init__(self, executable: str, profile_dir: Path, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self._next_id = 0
        self._buffer = b""
        self.events: list[dict[str, Any]] = []
        args = [executable, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
                "--hide-scrollbars", "--remote-debugging-pipe",
                f"--user-data-dir={profile_dir}", "about:blank"]
        # fd 3 <- our commands (its stdin), fd 4 -> our replies (its stdout).
        self.proc = subprocess.Popen(
            ["sh", "-c", 'exec "$@" 3<&0 4>&1 </dev/null >/dev/null', "chromium", *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    # -- protocol ------------------------------------------------------------------------
    def send(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None) -> dict[str, Any]:
        """Send one command and return its result (events seen meanwhile are kept)."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method,
                                   "params": params or {}}
        if session:
            message["sessionId"] = session
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\0")
        self.proc.stdin.flush()
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read(deadline, f"the reply to {method}")
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise DevToolsError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method: str, session: str | None = None) -> dict[str, Any]:
        """The first event ``method`` (of ``session``), waiting for it if need be."""
        deadline = time.monotonic() + self.timeout
        while True:
            for i, event in enumerate(self.events):
                if event.get("method") == method and event.get("sessionId") == session:
                    return self.events.pop(i).get("params", {})
            self.events.append(self._read(deadline, f"the event {method}"))

    def _read(self, deadline: float, what: str) -> dict[str, Any]:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise DevToolsError(f"Chromium did not send {what} within {self.timeout:g} s")
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise DevToolsError(f"Chromium exited (code {self.proc.poll()}) before {what}")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    # -- pages ---------------------------------------------------------------------------
    def open(self, url: str) -> str:
        """A new tab showing ``url``, loaded (its load event fired): its session id."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget",
                            {"targetId": target, "flatten": True})["sessionId"]
        self.send("Page.enable", session=session)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
                  session=session)
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_event("Page.loadEventFired", session)
        return session

    def evaluate(self, session: str, expression: str) -> Any:
        """The value of a JavaScript expression (promises are awaited)."""
        result = self.send("Runtime.evaluate", {"expression": expression,
                                                "returnByValue": True, "awaitPromise": True},
                           session=session)
        if "exceptionDetails" in result:
            raise DevToolsError(f"the page's JavaScript failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, session: str, path: Path, max_height: int = 12000) -> Path:
        """A PNG of the whole page (up to ``max_height`` CSS pixels tall) at ``path``."""
        size = self.send("Page.getLayoutMetrics", session=session)["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"],
                "height": min(size["height"], max_height), "scale": 1}
        data = self.send("Page.captureScreenshot", {"format": "png", "clip": clip,
                                                    "captureBeyondViewport": True},
                         session=session)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    # -- life cycle ----------------------------------------------------------------------
    def close(self) -> None:
        """Ask the browser to quit, then make sure it and its helpers are gone."""
        try:
            family = [psutil.Process(self.proc.pid), *psutil.Process(self.proc.pid).children(
                recursive=True)]
        except psutil.NoSuchProcess:
            family = []
        try:
            if self.proc.poll() is None:
                self.send("Browser.close")
        except (DevToolsError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        _, alive = psutil.wait_procs(family, timeout=10)
        for p in alive:
            p.kill()
        psutil.wait_procs(alive, timeout=10)
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
