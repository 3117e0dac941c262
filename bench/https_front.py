"""nginx in front of gunicorn, with TLS and HTTP/2, as a production site is reached.

A phone reaches the app over HTTPS (a service worker needs it anywhere but on
localhost), and every current reverse proxy, load balancer or CDN speaks
HTTP/2 there: all of a page's requests share one connection instead of
queueing for a browser's six HTTP/1.1 connections per host. `https_front`
runs Debian's nginx (installed by `make bench`) on a loopback port with a
certificate made for 127.0.0.1 on the spot; the browser is started with
`--ignore-certificate-errors`, as it trusts no such certificate.

    with https_front(8000) as front:   # gunicorn on 127.0.0.1:8000
        page.goto(front.url)           # https://127.0.0.1:PORT
"""

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
BROWSER_ARGS = ["--ignore-certificate-errors"]

CONFIG = """
worker_processes 1;
error_log {root}/error.log warn;
pid {root}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    upstream app {{ server 127.0.0.1:{upstream}; keepalive 16; }}
    server {{
        listen 127.0.0.1:{port} ssl http2;
        ssl_certificate {root}/cert.pem;
        ssl_certificate_key {root}/key.pem;
        ssl_protocols TLSv1.3;
        location / {{
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Proto https;
            proxy_buffering on;
        }}
    }}
}}
"""


@dataclass(frozen=True)
class Front:
    port: int

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"


def _certificate(root: Path) -> None:
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(root / "key.pem"), "-out", str(root / "cert.pem"), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip


@contextlib.contextmanager
def https_front(upstream_port: int):
    """nginx terminating TLS (HTTP/2) on a free loopback port and passing requests to `upstream_port`."""
    if not Path(NGINX).exists():
        raise RuntimeError("nginx not found: `make bench` installs Debian's nginx (apt-get install nginx)")
    with tempfile.TemporaryDirectory(prefix="bench-nginx-") as scratch:
        root = Path(scratch)
        _certificate(root)
        port = free_port()
        (root / "nginx.conf").write_text(CONFIG.format(root=root, upstream=upstream_port, port=port))
        server = subprocess.Popen([NGINX, "-p", str(root), "-c", str(root / "nginx.conf"), "-g", "daemon off;"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
        try:
            for _ in range(200):
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
                if server.poll() is not None:
                    raise RuntimeError(f"nginx did not start: {server.stderr.read().decode()[-2000:]}")
                time.sleep(0.05)  # waiting for nginx to listen
            else:
                raise RuntimeError("nginx did not listen in time")
            yield Front(port)
        finally:
            server.terminate()
            server.wait(timeout=10)
