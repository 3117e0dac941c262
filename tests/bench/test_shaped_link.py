"""The shaped link relays bytes unchanged, counts them, and is as slow as its link, never faster.

Only lower bounds of time are asserted: the proxy must not deliver before the
link allows, and a busy machine can only make it later. The upstream is a
small TCP server in threads, told what to do by the first line it receives.
"""

import asyncio
import random
import socket
import socketserver
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.shaped_link import Link, ShapedProxy, shaped_proxy

TIMEOUT = 10  # seconds; a hang fails the test instead of blocking it
FAST = Link(down_bytes_per_s=50_000_000, up_bytes_per_s=50_000_000, rtt_s=0.01)
MEGABYTE_PER_S = Link(down_bytes_per_s=1_000_000, up_bytes_per_s=1_000_000, rtt_s=0.02)


class _Handler(socketserver.StreamRequestHandler):
    """`echo`: echo until EOF; `send N`: N bytes, then close; `greet`: "hello", half-close, keep what follows."""

    def handle(self):
        self.server.accepted.append(time.monotonic())
        command, *args = self.rfile.readline().split()
        try:
            getattr(self, command.decode())(*args)
        except OSError:
            pass  # the proxy stopped or the client reset: what the test checks is elsewhere

    def echo(self):
        while data := self.rfile.read1(65536):
            self.wfile.write(data)

    def send(self, size):
        if self.server.together:
            self.server.together.wait()
        self.wfile.write(pattern(int(size)))

    def greet(self):
        self.wfile.write(b"hello")
        self.connection.shutdown(socket.SHUT_WR)
        self.server.received.append(self.rfile.read())
        self.server.done.set()


class _Upstream(socketserver.ThreadingTCPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.port = self.server_address[1]
        self.accepted: list[float] = []  # time.monotonic() of each connection
        self.received: list[bytes] = []
        self.done = threading.Event()
        self.together: threading.Barrier | None = None  # makes `send` start at once on several connections


@pytest.fixture
def upstream():
    server = _Upstream()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(TIMEOUT)


def pattern(size: int) -> bytes:
    return (bytes(range(251)) * (size // 251 + 1))[:size]


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def exchange(port: int, request: bytes) -> bytes:
    """Send `request`, half-close, and read until the other side closes."""
    with connect(port) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        return read_all(sock)


def timed_send(port: int, size: int, started: float) -> float:
    """Seconds from `started` until `size` bytes have come back whole."""
    assert exchange(port, f"send {size}\n".encode()) == pattern(size)
    return time.monotonic() - started


def test_bytes_pass_unchanged_both_ways_and_are_counted(upstream):
    payload = random.Random(1).randbytes(300_000)
    with shaped_proxy("127.0.0.1", upstream.port, FAST) as proxy:
        assert proxy.url == f"http://127.0.0.1:{proxy.port}"
        assert exchange(proxy.port, b"echo\n" + payload) == payload
        assert (proxy.bytes_up, proxy.bytes_down, proxy.connections) == (5 + len(payload), len(payload), 1)
        proxy.reset_counters()
        assert exchange(proxy.port, b"echo\nagain") == b"again"
        assert (proxy.bytes_up, proxy.bytes_down, proxy.connections) == (10, 5, 1)


def test_a_half_close_from_the_server_leaves_the_other_way_open(upstream):
    with shaped_proxy("127.0.0.1", upstream.port, FAST) as proxy, connect(proxy.port) as sock:
        sock.sendall(b"greet\n")
        assert read_all(sock) == b"hello"
        sock.sendall(b"still here")
        sock.shutdown(socket.SHUT_WR)
        assert upstream.done.wait(TIMEOUT)
        assert upstream.received == [b"still here"]


def test_the_downlink_is_no_faster_than_its_rate(upstream):
    with shaped_proxy("127.0.0.1", upstream.port, MEGABYTE_PER_S) as proxy:
        assert timed_send(proxy.port, 400_000, time.monotonic()) >= 0.4
        assert proxy.bytes_down == 400_000


def test_concurrent_connections_share_one_link(upstream):
    upstream.together = threading.Barrier(2, timeout=TIMEOUT)
    with shaped_proxy("127.0.0.1", upstream.port, MEGABYTE_PER_S) as proxy, ThreadPoolExecutor(2) as pool:
        started = time.monotonic()
        _, second = sorted(pool.map(lambda _: timed_send(proxy.port, 300_000, started), range(2)))
    assert second >= 0.6  # 600 KB over one 1 MB/s link


def test_a_new_connection_takes_turns_with_a_running_download_rather_than_queueing_behind_it(upstream):
    with shaped_proxy("127.0.0.1", upstream.port, MEGABYTE_PER_S) as proxy, ThreadPoolExecutor(1) as pool:
        with connect(proxy.port) as big:
            big.sendall(b"send 800000\n")
            first = big.recv(1)
            rest = pool.submit(read_all, big)
            assert exchange(proxy.port, b"send 100000\n") == pattern(100_000)  # ~0.2 s, taking turns
            assert not rest.done()  # ~0.9 s in all; queued behind it, the small one would end after it
            assert first + rest.result() == pattern(800_000)


def test_a_new_connection_pays_a_round_trip_before_its_first_byte(upstream):
    link = Link(down_bytes_per_s=1e9, up_bytes_per_s=1e9, rtt_s=0.3)
    with shaped_proxy("127.0.0.1", upstream.port, link) as proxy:
        started = time.monotonic()
        with connect(proxy.port) as sock:
            sock.sendall(b"send 1\n")
            assert sock.recv(1) == b"\0"
            first_byte = time.monotonic() - started
    [accepted] = upstream.accepted
    assert accepted - started >= 0.3  # the handshake, before the server is dialled
    assert first_byte >= 0.6  # the handshake, then the request's half round trip and the answer's


def test_a_reset_connection_or_a_refusing_server_does_not_stop_the_proxy(upstream):
    with shaped_proxy("127.0.0.1", upstream.port, MEGABYTE_PER_S) as proxy:
        with connect(proxy.port) as sock:
            sock.sendall(b"send 1000000\n")
            assert sock.recv(1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset
        assert exchange(proxy.port, b"echo\nstill serving") == b"still serving"
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead_port = closed.getsockname()[1]
    with shaped_proxy("127.0.0.1", dead_port, FAST) as proxy:
        for _ in range(2):
            with pytest.raises(ConnectionResetError):
                exchange(proxy.port, b"anyone?")


def test_stopping_closes_open_connections_and_leaves_no_task():
    async def scenario():
        connected = asyncio.Queue()
        upstream = await asyncio.start_server(lambda *streams: connected.put_nowait(streams), "127.0.0.1", 0)
        async with upstream, ShapedProxy("127.0.0.1", upstream.sockets[0].getsockname()[1], FAST) as proxy:
            client_reader, client_writer = await asyncio.open_connection("127.0.0.1", proxy.port)
            server_reader, server_writer = await asyncio.wait_for(connected.get(), TIMEOUT)
            await proxy.stop()
            assert await asyncio.wait_for(client_reader.read(), TIMEOUT) == b""
            assert await asyncio.wait_for(server_reader.read(), TIMEOUT) == b""
            for writer in (client_writer, server_writer):
                writer.close()
                await writer.wait_closed()
        assert asyncio.all_tasks() == {asyncio.current_task()}

    # In a thread of its own: Playwright's sync API (the browser tests) keeps an event loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, scenario()).result(timeout=60)
