"""Headless Chromium driven over the DevTools protocol, with nothing attached but one page.

Playwright, which the browser tests use, attaches to every page and service
worker of a browser and follows their network traffic (the protocol's
Network domain): the browser then reports each request and response to it.
A user's browser does none of that. Measured side by side (4 + 4 runs of the
100,000-product initial sync, alternating), it cost 0.2–0.25 CPU-s per sync,
spread over the browser's threads, and 60–200 ms of trigger → usable. So the
PWA benchmark measures the initial sync in a browser driven through this
client: a page is opened, given a script to run first, navigated and asked
to evaluate functions (`Target`, `Page`, `Runtime` only), over the browser's
DevTools websocket (aiohttp).

    async with Chromium(CHROMIUM, args) as browser:
        page = await browser.new_page(init_script="window.x = 1;")
        await page.goto("http://127.0.0.1:8000/")
        value = await page.evaluate("async () => 42")
"""

import asyncio
import contextlib
import itertools
import json
import os
import subprocess
import tempfile
from pathlib import Path

import aiohttp

STARTUP_SECONDS = 20
CLOSE_SECONDS = 10


class DevToolsError(RuntimeError):
    """A protocol command failed, or a page threw."""


class Chromium:
    """A headless Chromium with a fresh on-disk profile, started on enter and stopped on exit."""

    def __init__(self, executable: str, args: list[str]):
        self.executable, self.args = executable, args
        self._ids = itertools.count(1)
        self._replies: dict[int, asyncio.Future] = {}
        self._loads: dict[str, asyncio.Event] = {}

    async def __aenter__(self) -> "Chromium":
        self._profile = tempfile.TemporaryDirectory(prefix="bench-cdp-profile-")
        command = [self.executable, "--headless", f"--user-data-dir={self._profile.name}",
                   "--remote-debugging-port=0", *self.args, "about:blank"]  # fmt: skip
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            address = await self._address()
            self._http = aiohttp.ClientSession()
            self._socket = await self._http.ws_connect(address, max_msg_size=0)
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        self._reader = asyncio.create_task(self._read())
        return self

    async def _address(self) -> str:
        """The browser's DevTools websocket, from the port file Chromium writes once it listens."""
        port_file = Path(self._profile.name) / "DevToolsActivePort"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STARTUP_SECONDS
        while loop.time() < deadline:
            lines = port_file.read_text().splitlines() if port_file.exists() else []
            if len(lines) >= 2:
                return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
            if self._process.poll() is not None:
                raise DevToolsError(f"Chromium exited with {self._process.returncode} on start")
            await asyncio.sleep(0.02)
        raise DevToolsError(f"Chromium did not open its DevTools port within {STARTUP_SECONDS} s")

    async def _read(self) -> None:
        async for message in self._socket:
            data = json.loads(message.data)
            if "id" in data:
                reply = self._replies.pop(data["id"], None)
                if reply is not None and not reply.done():
                    reply.set_result(data)
            elif data.get("method") == "Page.loadEventFired" and data.get("sessionId") in self._loads:
                self._loads[data["sessionId"]].set()
        for reply in self._replies.values():  # the browser went away
            reply.cancel()

    async def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Run one protocol command (in a page's `session`, or the browser's) and return its result."""
        number = next(self._ids)
        reply = self._replies[number] = asyncio.get_running_loop().create_future()
        message = {"id": number, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        await self._socket.send_str(json.dumps(message))
        data = await reply
        if "error" in data:
            raise DevToolsError(f"{method}: {data['error'].get('message')}")
        return data["result"]

    async def settled(self, window: float = 0.1, busy: float = 0.1, timeout: float = 10) -> float:
        """Wait until the browser has finished starting: a fresh profile keeps it busy for a second
        or so after launch (1-2 cores here), which a user's running browser is not. Returns once two
        `window`s in a row used under `busy` of one core (all its processes); the seconds waited."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        used, quiet = tree_cpu_seconds(self._process.pid), 0
        while quiet < 2 and loop.time() - start < timeout:
            await asyncio.sleep(window)  # a sampling interval: CPU used is the condition
            before, used = used, tree_cpu_seconds(self._process.pid)
            quiet = quiet + 1 if used - before < busy * window else 0
        return loop.time() - start

    async def new_page(self, init_script: str | None = None) -> "Page":
        """A new tab; `init_script` runs in each document it loads before the document's own scripts."""
        target = (await self.send("Target.createTarget", {"url": "about:blank"}))["targetId"]
        session = (await self.send("Target.attachToTarget", {"targetId": target, "flatten": True}))["sessionId"]
        self._loads[session] = asyncio.Event()
        await self.send("Page.enable", session=session)
        if init_script:
            await self.send("Page.addScriptToEvaluateOnNewDocument", {"source": init_script}, session)
        return Page(self, session)

    async def __aexit__(self, *exc) -> None:
        """Close the browser as a user would (`Browser.close`: its other processes stop first and
        stop writing to the profile), else terminate it; then remove the profile."""
        if hasattr(self, "_socket"):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.send("Browser.close"), CLOSE_SECONDS)
            self._reader.cancel()
            await self._socket.close()
        if hasattr(self, "_http"):
            await self._http.close()
        try:
            await asyncio.to_thread(self._process.wait, CLOSE_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()
            await asyncio.to_thread(self._process.wait)
        self._profile.cleanup()


def tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by process `pid` and all its descendants (Linux /proc)."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                text = (entry / "stat").read_text()
                fields = text[text.rindex(")") + 2 :].split()
                stats[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))  # ppid, utime + stime
    children: dict[int, list[int]] = {}
    for child, (parent, _) in stats.items():
        children.setdefault(parent, []).append(child)
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += stats.get(current, (0, 0))[1]
        todo += children.get(current, [])
    return total / os.sysconf("SC_CLK_TCK")


class Page:
    def __init__(self, browser: Chromium, session: str):
        self._browser, self._session = browser, session

    async def goto(self, url: str) -> None:
        """Navigate, and return once the page's load event has fired."""
        loaded = self._browser._loads[self._session]
        loaded.clear()
        await self._browser.send("Page.navigate", {"url": url}, self._session)
        await loaded.wait()

    async def evaluate(self, function: str):
        """Call the JavaScript `function` (source text) in the page, await it, and return its value as JSON."""
        result = await self._browser.send(
            "Runtime.evaluate",
            {"expression": f"({function})()", "awaitPromise": True, "returnByValue": True},
            self._session,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise DevToolsError(details.get("exception", {}).get("description") or details.get("text"))
        return result["result"].get("value")
