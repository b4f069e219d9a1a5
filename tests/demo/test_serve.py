"""`joinedup serve --workers N`: N processes, each building the app from JOINEDUP_*, answering on one port."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path


def test_serve_with_two_workers_starts_both_and_answers(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    env = {
        **os.environ,
        "JOINEDUP_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "JOINEDUP_SECRET_KEY": uuid.uuid4().hex,
    }
    joinedup = str(Path(sys.executable).with_name("joinedup"))
    command = [joinedup, "serve", "--port", str(port), "--workers", "2", "--log-level", "info"]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=tmp_path
    )
    try:
        assert server.stderr is not None
        started, workers = 0, set()
        for line in server.stderr:  # uvicorn logs each worker's start; ends if the server exits
            if "Started server process" in line:
                workers.add(line.split("[")[-1].split("]")[0])
            started += "Application startup complete" in line
            if started == 2:
                break
        assert started == 2 and len(workers) == 2
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/healthz")
        assert connection.getresponse().status == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
