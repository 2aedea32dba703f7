"""An agent backed by any OpenAI-compatible chat-completions endpoint.

What QA needs to see is how a real model treats the End Call configuration, so the
model gets exactly what a voice platform would give it: the main prompt as the system
message, the conversation, and the End Call action as its only tool, with the
configured name and description read afresh at every turn (live edits reach it).

It fulfils the agent contract (console/core/agent_port.py): each request runs on a
thread of its own and reports through `emit`, every output naming the turn it answers.
Replies stream: each sentence is emitted as soon as it is complete. A request is bounded
(`max_tokens`, and an overall deadline that holds even when a server sends only
keep-alives), cancelled when the caller moves past its turn (its tail is never spoken,
and the model is later told only what the caller heard of it: console/agent/
conversation.py), and stripped of chat-template control text. Every request becomes a typed
`ModelCallRecord` with its time to first token, total time, raw tool calls, and what the
console did with the reply. Faults (endpoint down, timeout, HTTP error, a tool call to
another name, unreadable arguments, an empty reply) become readable notices; the call
goes on, or ends with reason "error" if so configured.

The API key comes from the settings or the environment and is never written anywhere:
sessions record the base URL and model only.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from console.agent.conversation import Conversation
from console.agent.model_text import SpokenText, clean_reply
from console.agent.tool import offers_message, tool_definition
from console.core.agent_port import (
    AgentRequest,
    Emit,
    EndRequest,
    GoodbyeDone,
    GoodbyeText,
    ModelCallRecord,
    Purpose,
    Say,
    ToolCall,
    TurnDone,
)
from console.core.config import CallConfig
from console.core.text_variables import fill_for

KEY_ENV = ("ENDCALL_LLM_API_KEY", "OPENAI_API_KEY")


@dataclass
class LLMSettings:
    base_url: str = "http://127.0.0.1:11434/v1"  # Ollama's OpenAI-compatible API
    model: str = "llama3.1"
    api_key: str = ""  # empty: from ENDCALL_LLM_API_KEY or OPENAI_API_KEY
    timeout_s: float = 20.0  # connecting, and each wait for the next piece of a reply
    stream: bool = True
    temperature: float = 0.2
    max_tokens: int = 300  # a spoken reply is short; a looping model is stopped here
    reply_deadline_s: float = 30.0  # a whole reply, however slowly it trickles in
    seed: int | None = None
    # User-info taken out of a URL (http://user:pass@host/v1): used for the connection
    # only, never in base_url, so nothing that records the URL can carry it.
    url_user: str = ""
    url_password: str = ""

    def key(self) -> str:
        if self.api_key:
            return self.api_key
        for name in KEY_ENV:
            if os.environ.get(name):
                return os.environ[name]
        return "not-needed"  # local servers (Ollama, llama.cpp) accept any key

    def describe(self) -> str:
        """For sessions and the timeline: never the key, never URL user-info."""
        from console.core.redact import redact

        return redact(f"{self.model} at {self.base_url}")


def make_client(settings: LLMSettings) -> Any:
    try:
        import openai
    except ImportError:
        raise RuntimeError("the LLM backend needs the openai package: pip install openai") from None

    from console.core.redact import join_url_credentials, register_secret

    register_secret(settings.api_key)  # masked in anything written or shown from now on
    register_secret(settings.url_password)
    return openai.OpenAI(
        base_url=join_url_credentials(settings.base_url, settings.url_user, settings.url_password),
        api_key=settings.key(),
        timeout=settings.timeout_s,
        max_retries=0,
    )


class BadReply(ValueError):
    """The endpoint answered, but not with the chat-completions protocol."""


class _Cancelled(Exception):
    """The caller moved past the turn this request answered."""


class _DeadlinePassed(Exception):
    pass


def describe_error(exc: Exception, settings: LLMSettings) -> str:
    """The fault in words a tester can act on, with every secret masked (an endpoint's
    error may quote the request, Authorization header included)."""
    from console.core.redact import redact

    return redact(_describe_error(exc, settings))


def _describe_error(exc: Exception, settings: LLMSettings) -> str:
    import openai

    where = settings.base_url
    if isinstance(exc, _DeadlinePassed):
        return (
            f"the model at {where} was still answering after {settings.reply_deadline_s:g} s "
            "(reply_deadline_s): the request was stopped"
        )
    if isinstance(exc, openai.APITimeoutError):
        return f"the model at {where} did not answer within {settings.timeout_s:g} s"
    if isinstance(exc, openai.APIConnectionError):
        return f"cannot reach the model endpoint {where}: is the server running?"
    if isinstance(exc, openai.AuthenticationError):
        return f"{where} refused the API key (HTTP 401): check ENDCALL_LLM_API_KEY"
    if isinstance(exc, openai.NotFoundError):
        return f"{where} answered 404: is the model {settings.model!r} installed there?"
    if isinstance(exc, openai.APIStatusError):
        return f"{where} answered HTTP {exc.status_code}: {_error_message(exc)}"
    if isinstance(exc, BadReply):
        return f"the model's answer could not be read: {exc}"
    return f"the model's answer could not be read ({type(exc).__name__}: {str(exc)[:200]})"


def _error_message(exc: Any) -> str:
    """The server's own error message, short: never the whole body (it may echo the
    request, headers included)."""
    body = getattr(exc, "body", None)
    message = ""
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = str(inner.get("message", "")) if isinstance(inner, dict) else str(inner)
    return (message or getattr(exc, "message", "") or "no message")[:200]


def _completion(response: Any) -> Any:
    """The openai client hands back a 200 that is not JSON (an HTML page, a proxy's
    login form) as a plain string: name that instead of failing on a missing attribute."""
    if not hasattr(response, "choices"):
        start = str(response).strip()[:60]
        raise BadReply(f"the endpoint answered {start!r}, not a chat completion")
    return response


def list_models(settings: LLMSettings) -> list[str]:
    """Model names the endpoint offers (raises with a readable message)."""
    try:
        return sorted(m.id for m in make_client(settings).models.list())
    except Exception as exc:
        raise RuntimeError(describe_error(exc, settings)) from None


@dataclass
class _Job:
    """One request in flight: cancellable from the engine's thread, bounded in time."""

    request: AgentRequest
    emit: Emit
    started: float = field(default_factory=time.monotonic)
    cancelled: threading.Event = field(default_factory=threading.Event)
    deadline_passed: bool = False
    stream: Any = None  # the open stream, closed to stop a blocked read

    def close_stream(self) -> None:
        stream = self.stream
        if stream is not None:
            with contextlib.suppress(Exception):
                _shut_down(stream)
            with contextlib.suppress(Exception):
                stream.close()

    def check(self) -> None:
        if self.cancelled.is_set():
            raise _Cancelled
        if self.deadline_passed:
            raise _DeadlinePassed


@dataclass
class _Reply:
    text: str = ""  # what was spoken of it
    raw: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    ttft: float | None = None
    notices: list[str] = field(default_factory=list)


class LLMAgent:
    backend = "llm"

    def __init__(self, settings: LLMSettings, client: Any = None) -> None:
        self.settings = settings
        self.client = client or make_client(settings)
        self.conversation = Conversation()  # guarded by _lock
        self._lock = threading.Lock()
        self._jobs: list[_Job] = []
        self._closed = False

    # -- the agent contract --------------------------------------------------------------
    def describe(self) -> dict[str, str]:
        return {"llm": self.settings.describe()}  # base URL and model, never the key

    def prepared_lines(self, config: CallConfig) -> list[str]:
        return []  # a model's words are not known before it says them

    def begin(self, request: AgentRequest, emit: Emit) -> None:
        if request.purpose is Purpose.OPENING and request.config.agent.greeting.strip():
            greeting = fill_for(request.config, request.config.agent.greeting).strip()
            with self._lock:
                self.conversation.add(request.turn, {"role": "assistant", "content": greeting})
            emit(Say(request.turn, greeting, "greeting"))
            emit(TurnDone(request.turn))
            return
        if request.purpose is Purpose.REPLY:
            with self._lock:
                self.conversation.add(
                    request.turn, {"role": "user", "content": request.caller_text}
                )
        job = _Job(request, emit)
        with self._lock:
            self._jobs.append(job)
        target = self._goodbye if request.purpose is Purpose.GOODBYE else self._turn
        threading.Thread(target=self._run, args=(target, job), name="llm", daemon=True).start()

    def cancel(self, turn: int, heard: tuple[str, ...] = ()) -> None:
        with self._lock:
            jobs = [
                j
                for j in self._jobs
                if j.request.turn <= turn and j.request.purpose is not Purpose.GOODBYE
            ]
            for job in jobs:
                job.cancelled.set()  # under the lock: a reply finishing now is not remembered
            self.conversation.keep_heard(turn, " ".join(h.strip() for h in heard if h.strip()))
        for job in jobs:
            job.close_stream()

    def close(self) -> None:
        self._closed = True
        with self._lock:
            jobs = list(self._jobs)
        for job in jobs:
            job.cancelled.set()
            job.close_stream()

    # -- running one request ------------------------------------------------------------
    def _run(self, target: Any, job: _Job) -> None:
        timer = threading.Timer(self.settings.reply_deadline_s, self._deadline, args=(job,))
        timer.daemon = True
        timer.start()
        try:
            target(job)
        finally:
            timer.cancel()
            with self._lock:
                if job in self._jobs:
                    self._jobs.remove(job)

    @staticmethod
    def _deadline(job: _Job) -> None:
        job.deadline_passed = True
        job.close_stream()

    def _messages(self, config: CallConfig) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {"role": "system", "content": fill_for(config, config.agent.main_prompt)},
                *self.conversation.messages(),
            ]

    def _options(self) -> dict[str, Any]:
        options: dict[str, Any] = {
            "model": self.settings.model,
            "temperature": self.settings.temperature,
            "max_tokens": self.settings.max_tokens,
        }
        if self.settings.seed is not None:
            options["seed"] = self.settings.seed
        return options

    def _turn(self, job: _Job) -> None:
        request = job.request
        config = request.config
        action = config.end_call  # read at this turn: live edits reach the model
        purpose = request.purpose.value
        record = {"purpose": purpose, "model": self.settings.describe()}
        try:
            tools = [tool_definition(config)] if action.enabled else None  # End Call off
            reply = self._ask(job, self._messages(config), tools)
        except _Cancelled:
            job.emit(
                TurnDone(
                    request.turn,
                    model_call=ModelCallRecord(
                        **record,
                        total_s=time.monotonic() - job.started,
                        outcome="cancelled: the caller moved on before it finished",
                    ),
                )
            )
            return
        except Exception as exc:
            error = describe_error(exc, self.settings)
            job.emit(
                TurnDone(
                    request.turn,
                    error=error,
                    model_call=ModelCallRecord(
                        **record,
                        total_s=time.monotonic() - job.started,
                        error=error,
                        outcome="nothing more said; the call goes on unless on_error is 'end'",
                    ),
                )
            )
            return
        if not self._remember(job, reply, action.name):
            return  # superseded while finishing: the engine drops whatever comes
        notices = list(reply.notices)
        end = None
        for call in reply.tool_calls:
            if call.name != action.name:
                notices.append(
                    f"the model called '{call.name}', but the End Call action is named "
                    f"'{action.name}': ignored, the call goes on"
                )
                continue
            try:
                args = json.loads(call.arguments or "{}")
            except json.JSONDecodeError:
                notices.append(
                    f"the model called {call.name} with arguments that are not JSON "
                    f"({call.arguments[:80]!r}); the action is invoked all the same"
                )
                args = {}
            args = args if isinstance(args, dict) else {}
            reason = str(args.get("reason", ""))
            farewell = ""
            if offers_message(config) and isinstance(args.get("message"), str):
                farewell, removed = clean_reply(args["message"])  # spoken: no template text
                notices.extend(removed)
            end = EndRequest(
                call.name,
                why=f"the model called {call.name}(reason={reason!r})",
                rule="model tool call",
                trigger_words=request.caller_text,
                farewell=farewell,
            )
        if end is not None:
            outcome = f"{end.action_name} invoked" + (
                "; the text beside the tool call is spoken before the action"
                if reply.text.strip()
                else ""
            )
        elif reply.text.strip():
            outcome = "spoken"
        elif reply.tool_calls:
            outcome = "a tool call the console does not know: nothing said"
        else:
            notices.append("the model returned an empty reply: the agent says nothing")
            outcome = "empty reply: nothing said"
        job.emit(
            TurnDone(
                request.turn,
                end=end,
                notices=tuple(notices),
                model_call=ModelCallRecord(
                    **record,
                    ttft_s=reply.ttft,
                    total_s=time.monotonic() - job.started,
                    text=reply.text,
                    tool_calls=tuple(reply.tool_calls),
                    outcome=outcome,
                ),
            )
        )

    def _remember(self, job: _Job, reply: _Reply, action_name: str) -> bool:
        """Into the conversation, unless the turn was cancelled meanwhile (then what was
        heard of it is what the engine said in `cancel`)."""
        turn = job.request.turn
        with self._lock:
            if job.cancelled.is_set():
                return False
            message: dict[str, Any] = {"role": "assistant", "content": reply.text}
            if reply.tool_calls:
                message["tool_calls"] = [
                    {
                        "id": f"call_{i}",
                        "type": "function",
                        "function": {"name": c.name, "arguments": c.arguments},
                    }
                    for i, c in enumerate(reply.tool_calls)
                ]
            self.conversation.add(turn, message)
            for i, c in enumerate(reply.tool_calls):
                ok = c.name == action_name
                self.conversation.add(
                    turn,
                    {
                        "role": "tool",
                        "tool_call_id": f"call_{i}",
                        "content": "ok" if ok else f"error: no tool named {c.name}",
                    },
                )
        return True

    def _ask(
        self,
        job: _Job,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None,
        speak: bool = True,
    ) -> _Reply:
        """One chat completion, streamed or not; speech is emitted as it completes."""
        options = self._options()
        if tools:
            options["tools"] = tools
        if self.settings.stream:
            return self._stream(job, messages, options, speak)
        return self._once(job, messages, options, speak)

    def _once(
        self, job: _Job, messages: list[dict[str, Any]], options: dict[str, Any], speak: bool
    ) -> _Reply:
        """Not streamed: nothing arrives before the whole reply, so the request's own
        timeout is what bounds it: the time left before the reply deadline. (A cancel
        cannot close it: the openai client hands out nothing to close before the answer
        arrives; the engine drops the answer, and the deadline ends the wait.)"""
        import openai

        left = self.settings.reply_deadline_s - (time.monotonic() - job.started)
        if left <= 0:
            raise _DeadlinePassed
        try:
            response = self.client.chat.completions.create(
                messages=messages, timeout=min(self.settings.timeout_s, left), **options
            )
        except openai.APITimeoutError:
            job.check()
            if left < self.settings.timeout_s:
                raise _DeadlinePassed from None  # the deadline, not the server's silence
            raise
        response = _completion(response)
        job.check()
        reply = _Reply()  # not streamed: no first token to time, only the whole
        if not response.choices:
            return reply
        choice = response.choices[0]
        message = choice.message
        reply.raw = message.content or ""
        reply.text, reply.notices = clean_reply(reply.raw)
        if speak and reply.text:
            self._say(job, [reply.text])
        reply.tool_calls = [
            ToolCall(c.function.name, c.function.arguments or "") for c in message.tool_calls or []
        ]
        if choice.finish_reason == "length":
            reply.notices.append(self._length_notice())
        return reply

    def _stream(
        self, job: _Job, messages: list[dict[str, Any]], options: dict[str, Any], speak: bool
    ) -> _Reply:
        job.stream = stream = self.client.chat.completions.create(
            messages=messages, stream=True, **options
        )
        if job.cancelled.is_set() or job.deadline_passed:
            job.close_stream()
        response = getattr(stream, "response", None)
        ctype = response.headers.get("content-type", "") if response is not None else ""
        if ctype and "event-stream" not in ctype:
            raise BadReply(f"the endpoint answered {ctype!r}, not a chat-completions stream")
        reply = _Reply()
        spoken = SpokenText()
        calls: dict[int, list[str]] = {}
        finish: str | None = None
        first_chunk: float | None = None
        for chunk in self._chunks(job, stream):
            if first_chunk is None:
                first_chunk = time.monotonic() - job.started
            if not chunk.choices:
                continue
            choice = chunk.choices[0]
            finish = finish or choice.finish_reason
            delta = choice.delta
            if delta is None:
                continue
            if reply.ttft is None and (delta.content or delta.tool_calls):
                # The first token: servers open with an empty chunk (the role) at once.
                reply.ttft = time.monotonic() - job.started
            if delta.content:
                sentences = spoken.feed(delta.content)
                if speak:
                    self._say(job, sentences)
                if spoken.stopped:
                    finish = finish or "stop"
                    job.close_stream()  # the rest is the model playing the caller
                    break
            for tc in delta.tool_calls or []:
                slot = calls.setdefault(tc.index or 0, ["", ""])
                if tc.function is not None:
                    slot[0] = _merge_name(slot[0], tc.function.name or "")
                    slot[1] += tc.function.arguments or ""
        if finish is None:
            # The connection closed mid-reply: what was said stays said, the unfinished
            # rest is not spoken, and the timeline says why.
            raise BadReply(
                f"the streamed reply stopped before it finished, after {len(spoken.raw)} "
                f"characters ({spoken.raw[-40:]!r}): the connection closed"
            )
        if reply.ttft is None:
            reply.ttft = first_chunk  # an empty reply: the first thing that came is all
        rest = spoken.finish()
        if speak:
            self._say(job, rest)
        reply.raw, reply.text, reply.notices = spoken.raw, spoken.spoken, list(spoken.notices)
        reply.tool_calls = [ToolCall(*calls[i]) for i in sorted(calls)]
        if finish == "length":
            reply.notices.append(self._length_notice())
        return reply

    @staticmethod
    def _chunks(job: _Job, stream: Any) -> Iterator[Any]:
        """The stream's chunks; a stream closed by cancel or the deadline says which."""
        try:
            for chunk in stream:
                job.check()
                yield chunk
        except (_Cancelled, _DeadlinePassed):
            raise
        except Exception:
            job.check()  # closed on purpose: name why instead of the socket error
            raise
        job.check()

    def _length_notice(self) -> str:
        return (
            f"the reply reached max_tokens ({self.settings.max_tokens}) and was cut there; "
            "what came before was spoken"
        )

    @staticmethod
    def _say(job: _Job, sentences: list[str]) -> None:
        for sentence in sentences:
            if sentence and not job.cancelled.is_set():
                job.emit(Say(job.request.turn, sentence, "model reply"))

    # -- the goodbye ----------------------------------------------------------------------
    def _goodbye(self, job: _Job) -> None:
        """Invariant 3 for a model: from the goodbye prompt if set, else from the main
        prompt and the conversation. The instruction is a system message: a model that
        repeats it back is caught, and never heard."""
        request = job.request
        config = request.config
        prompt = fill_for(config, config.end_call.goodbye_prompt).strip()
        if prompt:
            source, detail = "goodbye_prompt", "generated from the goodbye prompt"
            instruction = (
                "The call is ending now. Reply with only the goodbye you say to the contact, "
                f"following this instruction: {prompt}"
            )
        else:
            source, detail = "main_prompt", "generated from the main prompt and the conversation"
            instruction = (
                "The call is ending now. Reply with only a short goodbye to the contact, as "
                "your instructions above ask; nothing else."
            )
        messages = [*self._messages(config), {"role": "system", "content": instruction}]
        record = {"purpose": "goodbye", "model": self.settings.describe()}
        try:
            reply = self._ask(job, messages, None, speak=False)
        except Exception as exc:
            error = describe_error(exc, self.settings)
            job.emit(
                GoodbyeDone(
                    request.turn,
                    None,
                    error=error,
                    model_call=ModelCallRecord(
                        **record,
                        total_s=time.monotonic() - job.started,
                        error=error,
                        outcome="no goodbye",
                    ),
                )
            )
            return
        text, notices = reply.text.strip(), list(reply.notices)
        if text and _echoes(text):
            notices.append(
                f"the model repeated the console's instruction instead of a goodbye "
                f"({text[:80]!r}); it was not spoken"
            )
            text = ""
        outcome = "played as the goodbye" if text else "no goodbye"
        job.emit(
            GoodbyeDone(
                request.turn,
                GoodbyeText(text, source, detail) if text else None,
                error="" if text else (notices[-1] if notices else "the model said nothing"),
                notices=tuple(notices) if text else (),
                model_call=ModelCallRecord(
                    **record,
                    ttft_s=reply.ttft,
                    total_s=time.monotonic() - job.started,
                    text=reply.text,
                    outcome=outcome,
                ),
            )
        )


def _shut_down(stream: Any) -> None:
    """Shut the stream's socket, so a read blocked in the request's own thread ends now.

    Closing the stream from another thread is not enough: the socket is closed under a
    read that waits on it, and that read goes on until the server sends its next piece
    (the model kept generating, and a slow stream held its thread). The socket comes from
    the HTTP library's documented `network_stream` response extension (httpx/httpcore)."""
    response = getattr(stream, "response", None)
    extensions = getattr(response, "extensions", None) or {}
    network = extensions.get("network_stream")
    sock = network.get_extra_info("socket") if network is not None else None
    if sock is not None:
        # The plain socket's shutdown, also under TLS: the reader sees the end of the
        # stream instead of a TLS object torn down beneath it.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _merge_name(have: str, piece: str) -> str:
    """Streamed tool names arrive once (OpenAI) or whole in every chunk (llama.cpp's
    server): a repeat of the whole name is not more of it."""
    if not piece or piece == have:
        return have
    if have and piece.startswith(have):
        return piece  # a server that sends the name so far, growing
    return have + piece


def _echoes(text: str) -> bool:
    """The generated goodbye is the console's own instruction read back."""
    lowered = text.lower()
    return lowered.startswith("[") or any(
        part in lowered
        for part in ("the call is ending", "reply with only", "following this instruction")
    )
