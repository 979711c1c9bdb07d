"""gunicorn's access log keeps names typed in searches out: path without query, no referrer."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_access_log_has_no_query_string_and_no_referrer(tmp_path):
    port = _free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "entaix.settings.test"}
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "entaix.wsgi:application", "--bind",
             f"127.0.0.1:{port}", "--workers", "1"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}/comptes/login/?next=/ecoles/recherche/%3Fq%3DDupont"
            request = urllib.request.Request(
                url, headers={"Referer": f"http://127.0.0.1:{port}/ecoles/recherche/?q=Martin"}
            )
            # Wait for the port, then make exactly one request: a retried request (a timeout on
            # a loaded machine) would be logged twice.
            for _ in range(300):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.2)
            else:
                raise AssertionError(log.read_text())
            with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
                assert response.status == 200
        finally:
            server.terminate()
            server.wait(timeout=30)
    lines = [line for line in log.read_text().splitlines() if "/comptes/login/" in line]
    assert len(lines) == 1
    assert '"GET /comptes/login/ HTTP/1.1" 200' in lines[0]
    assert "Dupont" not in log.read_text()
    assert "Martin" not in log.read_text()
