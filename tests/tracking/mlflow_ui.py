"""The real MLflow UI in a real browser: an ``mlflow server`` on loopback, headless Chromium.

MLflow's UI is a JavaScript app, so the page is read after it rendered, through Chromium's
DevTools protocol: the test clicks a sweep's parent run open, as a user would, and reads the
run names the table then shows. Both processes are started in their own process group and
stopped (the whole group) when their context ends.

Also a script, for the README's screenshot of a real sweep::

    python -m tests.tracking.mlflow_ui RESULTS EXPERIMENT OUT.png
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import websocket

# Debian's chromium, as root, on a machine with no network but loopback (see the env notes).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The runs table's "+" that unfolds a parent run's children.
EXPAND_BUTTON = 'button[data-component-id$="runnamecellrenderer.tsx_46"]'
SERVER_START_S = 240  # a cold start on a busy 2-core machine took ~50 s


NO_CHROMIUM = "no chromium on PATH: `make install-dev` installs Debian's chromium package"


def chromium_binary() -> str | None:
    """Debian's chromium (``make install-dev`` installs it; nothing here installs anything)."""
    return shutil.which("chromium")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    """End the process group ``process`` leads (its workers too), politely, then not."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)


@contextmanager
def mlflow_server(store_uri: str, log: Path) -> Iterator[str]:
    """``mlflow server`` on a free loopback port over ``store_uri``; yields its base URL."""
    port = free_port()
    mlflow = Path(sys.executable).with_name("mlflow")
    command = [str(mlflow), "server", "--backend-store-uri", store_uri]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    with log.open("w") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"mlflow server exited: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"mlflow server not up after {SERVER_START_S} s")
            time.sleep(1)
        yield url
    finally:
        _stop(process)


class Chromium:
    """One headless Chromium page, driven through the DevTools protocol."""

    def __init__(self, binary: str, profile: Path, size: tuple[int, int] = (1400, 900)) -> None:
        command = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
        command += ["--remote-debugging-port=0", f"--window-size={size[0]},{size[1]}"]
        self.process = subprocess.Popen(
            [*command, "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._ids = itertools.count(1)
        try:
            port = self._devtools_port(profile / "DevToolsActivePort")
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
                page = next(t for t in json.load(answer) if t["type"] == "page")
            self.socket = websocket.create_connection(
                page["webSocketDebuggerUrl"], timeout=60, suppress_origin=True
            )
        except BaseException:
            _stop(self.process)
            raise

    def _devtools_port(self, path: Path) -> int:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if path.is_file() and path.read_text().strip():
                return int(path.read_text().split()[0])
            if self.process.poll() is not None:
                raise RuntimeError("chromium exited before opening its DevTools port")
            time.sleep(0.2)
        raise RuntimeError("chromium opened no DevTools port within 60 s")

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """One DevTools command; events that arrive meanwhile are dropped."""
        message_id = next(self._ids)
        self.socket.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            reply = json.loads(self.socket.recv())
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 120) -> Any:
        """Poll ``expression`` in the page until it is truthy; its value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.5)
        raise TimeoutError(f"page never satisfied: {expression}")

    def open(self, url: str) -> None:
        self.call("Page.navigate", url=url)

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            self.socket.close()
        finally:
            _stop(self.process)


@contextmanager
def chromium(profile: Path, size: tuple[int, int] = (1400, 900)) -> Iterator[Chromium]:
    binary = chromium_binary()
    if binary is None:
        raise RuntimeError(NO_CHROMIUM)
    browser = Chromium(binary, profile, size)
    try:
        yield browser
    finally:
        browser.close()


def experiment_url(base: str, experiment_id: str) -> str:
    """The runs table of one experiment (the model-training view, not the GenAI one)."""
    return f"{base}/#/experiments/{experiment_id}/runs?workflowType=machine_learning"


def open_folded(browser: Chromium, url: str) -> str:
    """Open the runs table at ``url``; its text once a parent run's row is drawn (the header
    alone comes first), its children still folded."""
    browser.open(url)
    browser.wait_for(f"document.querySelector('{EXPAND_BUTTON}') !== null")
    return browser.evaluate("document.querySelector('.ag-root')?.innerText || ''")


def open_sweep(browser: Chromium, url: str) -> str:
    """Open the runs table at ``url``, unfold every parent run, return the table's text."""
    open_folded(browser, url)
    browser.evaluate(f"document.querySelectorAll('{EXPAND_BUTTON}').forEach(b => b.click())")
    browser.wait_for("document.querySelectorAll('[role=row]').length > 2")
    time.sleep(1)  # let the unfolded rows paint before anyone reads or photographs them
    return browser.evaluate("document.querySelector('.ag-root')?.innerText || ''")


# The columns menu's entries, matched by their text; clicking one toggles its column.
TOGGLE_ENTRIES = """(() => {
  const wanted = %s;
  const menu = document.querySelector('[role=dialog]');
  const clicked = [];
  for (const node of menu ? menu.querySelectorAll('*') : []) {
    const text = node.textContent.trim();
    if (node.children.length === 0 && wanted.includes(text)) { node.click(); clicked.push(text); }
  }
  return clicked;
})()"""
SCREENSHOT_COLUMNS = ["Dataset", "Source", "Models", "accuracy", "params", "signature.depth"]
SCREENSHOT_COLUMNS += ["train.batch_size"]


def toggle_columns(browser: Chromium, names: list[str]) -> list[str]:
    """Close the assistant panel and toggle the named columns, as a user would."""
    close = 'button[data-component-id="mlflow.assistant.chat_panel.close"]'
    browser.evaluate(f"document.querySelector('{close}')?.click()")
    browser.evaluate("document.querySelector('[data-testid=column-selection-dropdown]').click()")
    browser.wait_for("document.querySelector('[role=dialog]') !== null")
    clicked = browser.evaluate(TOGGLE_ENTRIES % json.dumps(names))
    for kind in ("keyDown", "keyUp"):  # Escape closes the menu
        browser.call("Input.dispatchKeyEvent", type=kind, key="Escape", windowsVirtualKeyCode=27)
    time.sleep(1)
    return clicked


def main(results: str, experiment: str, out: str) -> None:
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{(Path(results) / 'mlflow.db').resolve()}"
    found = MlflowClient(uri).get_experiment_by_name(experiment)
    if found is None:
        raise SystemExit(f"{uri}: no experiment {experiment!r}")
    with tempfile.TemporaryDirectory() as scratch:
        scratch_dir = Path(scratch)
        with (
            mlflow_server(uri, scratch_dir / "server.log") as base,
            chromium(scratch_dir / "profile", size=(1500, 900)) as browser,
        ):
            open_sweep(browser, experiment_url(base, found.experiment_id))
            toggle_columns(browser, SCREENSHOT_COLUMNS)
            browser.screenshot(Path(out))
    print(f"wrote {out}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
