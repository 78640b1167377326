"""The sandbox on a real loopback socket (stdlib ThreadingHTTPServer in a thread).

Socket-level faults only exist here: a reset closes the connection without a response (FIN, or
RST through SO_LINGER 0), a truncated body is written short, either with a Content-Length that
matches the cut (200 with unparseable JSON) or with the full length (the client's read ends
early), and a slow response holds the connection past the client's read timeout.
"""

from __future__ import annotations

import signal
import socket
import struct
import sys
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from wistia_assets.sandbox.config import SandboxConfig
from wistia_assets.sandbox.sandbox import SandboxWistia


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # benchmarks open many connections at once

    def __init__(self, address, sandbox: SandboxWistia):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)
        self.sandbox = sandbox
        self.stopping = threading.Event()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as clients pool connections to Wistia
    server_version = "WistiaSandbox/1.0"
    sys_version = ""
    server: _Server  # pyright: ignore[reportIncompatibleVariableOverride]  # only _Server builds this handler, passing itself

    def do_GET(self) -> None:
        self._answer()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        pass  # the sandbox has its own request log

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        outcome = self.server.sandbox.respond(self.command, self.path, self.headers)
        stopping = self.server.stopping
        if outcome.latency_s and stopping.wait(outcome.latency_s):
            self.close_connection = True
            return
        if outcome.fault == "reset":
            self._reset(rst=outcome.reset_kind == "rst")
            return
        if outcome.fault == "timeout" and stopping.wait(outcome.slow_s):
            self.close_connection = True
            return
        body, headers = outcome.body, outcome.headers
        if outcome.fault in ("truncate", "truncate_read") and outcome.cut:
            body = body[: outcome.cut]
            if outcome.fault == "truncate":
                headers = [
                    (k, str(len(body)) if k.lower() == "content-length" else v) for k, v in headers
                ]
            self.close_connection = True
        try:
            self.send_response(outcome.status)
            for name, value in headers:
                self.send_header(name, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. its read timeout fired)

    def _reset(self, *, rst: bool) -> None:
        self.close_connection = True
        if rst:
            # SO_LINGER 0: close() sends RST instead of FIN ("connection reset by peer").
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()


class SandboxServer:
    """A running sandbox server; use as a context manager or call `shutdown()`."""

    def __init__(self, sandbox: SandboxWistia, host: str = "127.0.0.1", port: int = 0):
        self.sandbox = sandbox
        self._httpd = _Server((host, port), sandbox)
        self.host = host
        self.port = self._httpd.server_address[1]
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{self.port}/v1"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"wistia-sandbox-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def shutdown(self) -> None:
        if self._httpd.stopping.is_set():
            return
        self._httpd.stopping.set()  # wakes handlers sleeping on latency or slow responses
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(self, *exc_info) -> None:
        self.shutdown()


def serve(sandbox: SandboxWistia, host: str = "127.0.0.1", port: int = 0) -> SandboxServer:
    """Start serving `sandbox` on host:port (0: any free port) in a background thread."""
    return SandboxServer(sandbox, host, port)


def sandbox_from_env(env: Mapping[str, str] | None = None, **overrides) -> SandboxWistia:
    """A sandbox configured by the WISTIA_SANDBOX_* variables (`SandboxConfig`, the local
    deployment's embedded default); keyword arguments win."""
    config = SandboxConfig.from_env(env).sandbox_kwargs()
    return SandboxWistia(**(config | overrides))


def run_forever(
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    token: str | None = None,
    media_only_token: str | None = None,
    late_share: float = 0.03,
    **options,
) -> None:
    """Serve until Ctrl-C or SIGTERM; prints the base URL first.

    `options` are `SandboxConfig` fields (seed, faults, events_per_day, events_window, ...);
    one that is None or "" is "not given" and the WISTIA_SANDBOX_* variable (or the default)
    holds.
    """
    config = SandboxConfig.from_env(**options)
    sandbox = SandboxWistia(
        **config.sandbox_kwargs(),
        token=token,
        media_only_token=media_only_token,
        late_share=late_share,
    )
    server = serve(sandbox, host, port)
    stop = threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    print(
        f"Wistia sandbox API serving {', '.join(sandbox.media_ids)} at {server.url} "
        f"(seed={config.seed}, faults={sandbox.faults.spec() or 'none'}, "
        f"auth={'token' if token else 'none'}{_behaviour(config)})",
        flush=True,
    )
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        print("Wistia sandbox API stopped", file=sys.stderr, flush=True)


def _behaviour(config: SandboxConfig) -> str:
    """The non-default API choices, for the start-up line."""
    default = SandboxConfig()
    shown = [
        f"{name}={getattr(config, name)}"
        for name in (
            "events_window",
            "account_timezone",
            "day_offset_hours",
            "past_end",
            "hours_watched",
            "throttle_status",
        )
        if getattr(config, name) != getattr(default, name)
    ]
    return "".join(f", {item}" for item in shown)
