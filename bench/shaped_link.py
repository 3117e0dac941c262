"""A TCP proxy that puts a phone's radio link between a browser and a local server.

Every connection through the proxy shares one downlink and one uplink, as on
one radio: each direction sends one chunk (at most 16 KiB) at a time at its
rate, then the chunk arrives half a round trip later. Each connection keeps at
most one chunk waiting for the link, so concurrent connections take turns.
A new connection pays one round trip (its TCP handshake) before the server is
dialled and any byte flows. The bytes delivered each way are counted as they
leave the proxy: HTTP headers and bodies as sent, compressed or not.

It models bandwidth, queueing behind other connections and latency. It does
not model packet loss, TCP slow start or congestion control, the receive
window, header overheads below TCP, or radio wake-up: latency is paid once per
chunk rather than per packet. The rates are DevTools' presets (`FAST_4G`,
`SLOW_4G`, from `NetworkManager.ts`), but DevTools throttles requests inside
the browser, while this proxy shapes the bytes of the connections themselves.

    with shaped_proxy("127.0.0.1", 8000) as proxy:
        page.goto(proxy.url)
        print(proxy.bytes_down, proxy.bytes_up)
"""

import asyncio
import contextlib
import socket
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass

CHUNK_BYTES = 16 * 1024  # the most one turn on the link carries, so that connections interleave
QUEUE_CHUNKS = 64  # chunks in flight to one receiver before the link waits for it (a bounded buffer)
LOOP_SECONDS = 10  # how long the synchronous wrapper waits for the proxy to start or stop


@dataclass(frozen=True)
class Link:
    """A network link: its rate each way and its round-trip time."""

    down_bytes_per_s: float
    up_bytes_per_s: float
    rtt_s: float


FAST_4G = Link(down_bytes_per_s=1_012_500, up_bytes_per_s=168_750, rtt_s=0.165)  # 9 × 0.9 Mbit/s down, 1.35 up
SLOW_4G = Link(down_bytes_per_s=180_000, up_bytes_per_s=84_375, rtt_s=0.5625)  # 1.6 × 0.9 Mbit/s down, 0.675 up


class _Serializer:
    """One direction of the link: one chunk on the wire at a time, each then in flight for `latency_s`."""

    def __init__(self, bytes_per_s: float, latency_s: float):
        self.bytes_per_s, self.latency_s = bytes_per_s, latency_s
        self._free_at = 0.0

    def reserve(self, size: int, now: float) -> tuple[float, float]:
        """A turn for `size` bytes after every turn already given: when it starts sending, and when it arrives."""
        start = max(now, self._free_at)
        self._free_at = start + size / self.bytes_per_s
        return start, self._free_at + self.latency_s


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close a socket with a TCP reset (no FIN), as a broken connection reaches its peer."""
    with contextlib.suppress(OSError):
        writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _sleep_until(deadline: float) -> None:
    """Wait until the event loop's clock reads `deadline`."""
    delay = deadline - asyncio.get_running_loop().time()
    if delay > 0:
        await asyncio.sleep(delay)


class ShapedProxy:
    """The proxy's state: its listening socket, its two link directions, its connections and its byte counts."""

    def __init__(self, upstream_host: str, upstream_port: int, link: Link = FAST_4G):
        self.upstream_host, self.upstream_port, self.link = upstream_host, upstream_port, link
        self.port: int | None = None
        self.bytes_down = self.bytes_up = self.connections = 0
        self._counter_lock = threading.Lock()  # a synchronous benchmark resets while the loop's thread counts
        self._downlink = _Serializer(link.down_bytes_per_s, link.rtt_s / 2)
        self._uplink = _Serializer(link.up_bytes_per_s, link.rtt_s / 2)
        self._server: asyncio.Server | None = None
        self._stopping = False
        self._tasks: set[asyncio.Task] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        """The proxy's address as an HTTP origin, e.g. "http://127.0.0.1:41234"."""
        return f"http://127.0.0.1:{self.port}"

    def reset_counters(self) -> None:
        """Start counting bytes and connections from zero, e.g. between a warm-up and a measured run."""
        with self._counter_lock:
            self.bytes_down = self.bytes_up = self.connections = 0

    def _count(self, direction: str, size: int) -> None:
        with self._counter_lock:
            setattr(self, direction, getattr(self, direction) + size)

    async def start(self) -> None:
        """Listen on 127.0.0.1, on a free port (then `self.port`)."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and close every connection, dropping bytes still on the link."""
        if self._server is None:
            return
        self._stopping = True
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for writer in list(self._writers):  # a connection cancelled before its task ran holds its socket still
            await self._close(writer, abort=True)
        await self._server.wait_closed()
        self._server, self._stopping = None, False

    async def __aenter__(self) -> "ShapedProxy":
        await self.start()
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.stop()

    def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        """A browser connected: serve it in a task, tracked from now on so that `stop()` can end it."""
        self._count("connections", 1)
        self._writers.add(client_writer)
        task = asyncio.get_running_loop().create_task(self._serve(client_reader, client_writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        """One connection: after its handshake's round trip, relay each way until both ways have ended."""
        upstream_writer = None
        try:
            await asyncio.sleep(self.link.rtt_s)
            upstream_reader, upstream_writer = await asyncio.open_connection(self.upstream_host, self.upstream_port)
            self._writers.add(upstream_writer)
            async with asyncio.TaskGroup() as relays:
                relays.create_task(self._relay(client_reader, upstream_writer, self._uplink, "bytes_up"))
                relays.create_task(self._relay(upstream_reader, client_writer, self._downlink, "bytes_down"))
        except OSError:
            _reset(client_writer)  # the server refused: the browser sees its connection reset
        finally:
            for writer in (client_writer, upstream_writer):
                if writer is not None:
                    await self._close(writer, abort=self._stopping)  # a peer that stopped reading must not hang stop()

    async def _close(self, writer: asyncio.StreamWriter, abort: bool = False) -> None:
        """Close one socket (`abort`: without sending what is buffered) and wait until it is closed."""
        self._writers.discard(writer)
        if abort:
            writer.transport.abort()
        else:
            writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()

    async def _relay(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, link: _Serializer, counter: str
    ) -> None:
        """One direction of a connection: bytes read from `source` cross `link` and are written to `sink`.

        A failed write resets `sink`, so the other direction, which reads from it, ends too.
        """
        arrivals: asyncio.Queue = asyncio.Queue(QUEUE_CHUNKS)
        sender = asyncio.get_running_loop().create_task(self._send(source, link, arrivals))
        try:
            await self._deliver(arrivals, sink, counter)
        except OSError:
            sink.transport.abort()
        finally:
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)

    async def _send(self, source: asyncio.StreamReader, link: _Serializer, arrivals: asyncio.Queue) -> None:
        """Put each chunk read on the link, in order, then the end of the stream (`b""`), or `None` if it broke.

        The next chunk is read once this one's turn starts: a connection then has at most one chunk
        waiting for the link, which the other connections' chunks are queued beside, not behind.
        """
        loop = asyncio.get_running_loop()
        try:
            while data := await source.read(CHUNK_BYTES):
                start, arrival = link.reserve(len(data), loop.time())
                await arrivals.put((arrival, data))
                await _sleep_until(start)
        except OSError:
            await arrivals.put((loop.time(), None))
            return
        await arrivals.put((link.reserve(0, loop.time())[1], b""))  # a FIN queues like any packet

    async def _deliver(self, arrivals: asyncio.Queue, sink: asyncio.StreamWriter, counter: str) -> None:
        """Write each chunk to `sink` when it arrives; at the end, half-close `sink`, or reset it if `source` broke."""
        while True:
            arrival, data = await arrivals.get()
            await _sleep_until(arrival)
            if data is None:
                _reset(sink)
                return
            if not data:
                if sink.can_write_eof() and not sink.is_closing():
                    sink.write_eof()
                return
            self._count(counter, len(data))  # before the write, so that whoever has the bytes sees them counted
            sink.write(data)
            await sink.drain()


@contextlib.contextmanager
def shaped_proxy(upstream_host: str, upstream_port: int, link: Link = FAST_4G) -> Iterator[ShapedProxy]:
    """A `ShapedProxy` to `upstream_host:upstream_port`, running in a thread of its own while the block runs."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="shaped-link", daemon=True)
    thread.start()
    proxy = ShapedProxy(upstream_host, upstream_port, link)
    try:
        asyncio.run_coroutine_threadsafe(proxy.start(), loop).result(LOOP_SECONDS)
        yield proxy
    finally:
        try:
            asyncio.run_coroutine_threadsafe(proxy.stop(), loop).result(LOOP_SECONDS)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(LOOP_SECONDS)
            loop.close()
