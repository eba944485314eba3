"""A real ``storyline serve`` process on 127.0.0.1 for the API and browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from conftest import run_cli

STARTUP_SECONDS = 90  # importing the pipeline (spaCy, onnxruntime) takes seconds on a busy machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(db: str, *args: str) -> Iterator[str]:
    """Start ``storyline serve`` on a free loopback port; yield its base URL; stop it afterwards."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "storyline", "serve", "--db", db, "--port", str(port), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=os.environ.copy(),
        )
        try:
            _wait_until_up(base, process, log)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(base: str, process: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"storyline serve exited with {process.returncode}:\n{log.read()}")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"storyline serve did not answer on {base} within {STARTUP_SECONDS} s")


def create_key(db: str) -> str:
    result = run_cli("keys", "create", "--name", "tests", "--db", db)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def ingest(db: str, *paths: Path) -> None:
    result = run_cli("ingest", *map(str, paths), "--db", db)
    assert result.returncode == 0, result.stderr


def wait_for_job(client: httpx.Client, url: str, timeout: float = 120) -> dict:
    """Poll a job until it is done or failed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(url).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"{url} still {job['status']} after {timeout} s")
