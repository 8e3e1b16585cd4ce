"""Run the API in this process (for the demo): uvicorn in a background thread, stopped on exit."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn

from leadgate.errors import UsageError


def free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_service(url: str, host: str, port: int) -> Iterator[str]:
    """The service on `url`, listening on host:port until the block ends; yields its base URL."""
    from leadgate.service.api import create_app

    with socket.socket() as probe:
        if probe.connect_ex((host, port)) == 0:
            raise UsageError(f"port {port} on {host} is taken; choose another with --port")
    config = uvicorn.Config(create_app(url), host=host, port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://{host}:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or not thread.is_alive():
            raise UsageError(f"the service did not start on {base}")
        time.sleep(0.1)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def wait_for_interrupt() -> None:
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
