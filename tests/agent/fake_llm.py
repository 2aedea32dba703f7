"""A real HTTP server on 127.0.0.1 that speaks the chat-completions protocol, scripted.

Each test queues the replies it wants (text, tool calls, errors, slow or streamed
answers); every request body is kept so tests can check what the model was offered, and
every client that closes its connection before its reply is complete is noted (`dropped`):
that is how a test sees that a request was really cancelled, not merely ignored.
"""

from __future__ import annotations

import json
import queue
import random
import select
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    text: str = ""
    tool_calls: list[tuple[str, str]] = field(default_factory=list)  # (name, arguments)
    status: int = 200
    delay_s: float = 0.0  # before answering at all
    pause_after_first_sentence_s: float = 0.0  # streamed: a gap after the first sentence
    garbage: bool = False  # a 200 whose body is not the protocol
    cut_after_words: int | None = None  # streamed: the connection closes after N words
    word_delay_s: float = 0.0  # streamed: a pause before every word (a slow model)
    keepalive_s: float = 0.0  # streamed: only SSE keep-alive comments for this long first
    repeat_tool_name: bool = False  # streamed: function.name in every chunk (llama.cpp)
    first_token_after_s: float = 0.0  # streamed: an empty chunk at once, then this pause


@dataclass(frozen=True)
class Dropped:
    """A client closed its connection before its reply was complete."""

    request: int  # its index in FakeLLM.requests
    sent: str  # the reply's text sent before it went ("" : it went before any answer)


class FakeLLM:
    def __init__(self) -> None:
        self.replies: queue.SimpleQueue[Reply] = queue.SimpleQueue()
        self.requests: list[dict[str, Any]] = []
        self.authorizations: list[str] = []  # each request's Authorization header
        self.dropped: list[Dropped] = []
        self._dropped_changed = threading.Condition()
        self.models = ["tiny-model", "other-model"]
        self.pool: list[Reply] = []  # when nothing is queued: a random one of these
        self.random = random.Random(0)
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if self.path.endswith("/models"):
                    body = {
                        "object": "list",
                        "data": [
                            {"id": m, "object": "model", "created": 0, "owned_by": "test"}
                            for m in server.models
                        ],
                    }
                    self._json(200, body)
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                request = json.loads(self.rfile.read(length))
                with server._lock:
                    self.index = len(server.requests)
                    server.requests.append(request)
                    server.authorizations.append(self.headers.get("Authorization", ""))
                reply = server.next_reply()
                if not self._pause(reply.delay_s):
                    server.note_dropped(self.index, "")
                    return
                if reply.status != 200:
                    self._json(reply.status, {"error": {"message": f"scripted {reply.status}"}})
                elif reply.garbage:
                    self._raw(200, b"<html>not an API</html>", "text/html")
                elif request.get("stream"):
                    self.sent: list[str] = []
                    try:
                        self._stream(reply)
                    except (BrokenPipeError, ConnectionResetError):
                        server.note_dropped(self.index, "".join(self.sent))
                else:
                    self._json(200, _completion(reply))

            def _json(self, status: int, body: dict) -> None:
                self._raw(status, json.dumps(body).encode(), "application/json")

            def _raw(self, status: int, data: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _pause(self, seconds: float) -> bool:
                """Wait, watching the client: False as soon as it closes its end."""
                end = time.monotonic() + seconds
                while (left := end - time.monotonic()) > 0:
                    readable, _, _ = select.select([self.connection], [], [], left)
                    if not readable:
                        continue
                    try:
                        if self.connection.recv(1, socket.MSG_PEEK) == b"":
                            return False
                    except OSError:
                        return False
                    time.sleep(max(0.0, end - time.monotonic()))  # sent more: not closed
                    return True
                return True

            def _stream(self, reply: Reply) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                deadline = time.monotonic() + reply.keepalive_s
                while time.monotonic() < deadline:
                    self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
                    if not self._pause(0.1):
                        raise BrokenPipeError
                if reply.first_token_after_s:
                    self._event({"role": "assistant", "content": ""})  # as OpenAI starts
                    if not self._pause(reply.first_token_after_s):
                        raise BrokenPipeError
                words = reply.text.split(" ") if reply.text else []
                first_end = next(
                    (i for i, w in enumerate(words) if w.endswith((".", "!", "?"))), None
                )
                for i, word in enumerate(words):
                    if i == reply.cut_after_words:
                        self.close_connection = True
                        self.wfile.write(b'data: {"choices": [{"delta": {"con')
                        self.wfile.flush()
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    piece = word if i == 0 else " " + word
                    if not self._pause(reply.word_delay_s):
                        raise BrokenPipeError
                    self._event({"content": piece, "role": "assistant"})
                    self.sent.append(piece)
                    if i == first_end and not self._pause(reply.pause_after_first_sentence_s):
                        raise BrokenPipeError
                for i, (name, args) in enumerate(reply.tool_calls):
                    self._event(
                        {
                            "tool_calls": [
                                {
                                    "index": i,
                                    "id": f"call_{i}",
                                    "type": "function",
                                    "function": {"name": name, "arguments": ""},
                                }
                            ]
                        }
                    )
                    half = len(args) // 2
                    for part in (args[:half], args[half:]):
                        function = {"arguments": part}
                        if reply.repeat_tool_name:
                            function["name"] = name
                        self._event({"tool_calls": [{"index": i, "function": function}]})
                finish = "tool_calls" if reply.tool_calls else "stop"
                self._event({}, finish)
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

            def _event(self, delta: dict, finish: str | None = None) -> None:
                chunk = {
                    "id": "c",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": "tiny-model",
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                }
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that gave up (timed out) closed its end: expected here

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def next_reply(self) -> Reply:
        try:
            return self.replies.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            return self.random.choice(self.pool) if self.pool else Reply(text="Okay.")

    def note_dropped(self, request: int, sent: str) -> None:
        with self._dropped_changed:
            self.dropped.append(Dropped(request, sent))
            self._dropped_changed.notify_all()

    def wait_dropped(self, request: int, timeout: float = 10.0) -> Dropped:
        """The note that the client of request `request` closed early (fails if it did not
        within `timeout`: the request went on)."""
        with self._dropped_changed:
            found = self._dropped_changed.wait_for(
                lambda: any(d.request == request for d in self.dropped), timeout
            )
            assert found, f"request {request} was never closed by its client: {self.dropped}"
            return next(d for d in self.dropped if d.request == request)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _completion(reply: Reply) -> dict:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    if reply.tool_calls:
        message["tool_calls"] = [
            {"id": f"call_{i}", "type": "function", "function": {"name": n, "arguments": a}}
            for i, (n, a) in enumerate(reply.tool_calls)
        ]
    return {
        "id": "x",
        "object": "chat.completion",
        "created": 0,
        "model": "tiny-model",
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if reply.tool_calls else "stop",
            }
        ],
    }
