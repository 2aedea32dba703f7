"""An agent backed by any OpenAI-compatible chat-completions endpoint.

What QA needs to see is how a real model treats the End Call configuration, so the
model gets exactly what a voice platform would give it: the main prompt as the system
message, the conversation, and the End Call action as its only tool, with the
configured name and description read afresh at every turn (live edits reach it).

Replies stream: each sentence is handed to the engine as soon as it is complete, so the
agent starts speaking before the whole reply has arrived. Every model call becomes a
timeline event with its time to first token, total time, raw tool calls, and what the
console did with the reply. Faults (endpoint down, timeout, HTTP error, a tool call to
another name, unreadable arguments, an empty reply) become readable events; the call
goes on, or ends with reason "error" if so configured.

The API key comes from the settings or the environment and is never written anywhere:
sessions record the base URL and model only.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from console.agent.base import EndRequest, Final, GoodbyeReady, GoodbyeText, Say
from console.agent.tool import tool_definition
from console.core.config import CallConfig

KEY_ENV = ("ENDCALL_LLM_API_KEY", "OPENAI_API_KEY")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass
class LLMSettings:
    base_url: str = "http://127.0.0.1:11434/v1"  # Ollama's OpenAI-compatible API
    model: str = "llama3.1"
    api_key: str = ""  # empty: from ENDCALL_LLM_API_KEY or OPENAI_API_KEY
    timeout_s: float = 20.0
    stream: bool = True
    temperature: float = 0.2

    def key(self) -> str:
        if self.api_key:
            return self.api_key
        for name in KEY_ENV:
            if os.environ.get(name):
                return os.environ[name]
        return "not-needed"  # local servers (Ollama, llama.cpp) accept any key

    def describe(self) -> str:
        """For sessions and the timeline: never the key."""
        return f"{self.model} at {self.base_url}"


def make_client(settings: LLMSettings) -> Any:
    try:
        import openai
    except ImportError:
        raise RuntimeError("the LLM backend needs the openai package: pip install openai") from None

    return openai.OpenAI(
        base_url=settings.base_url,
        api_key=settings.key(),
        timeout=settings.timeout_s,
        max_retries=0,
    )


class BadReply(ValueError):
    """The endpoint answered, but not with the chat-completions protocol."""


def describe_error(exc: Exception, settings: LLMSettings) -> str:
    import openai

    where = settings.base_url
    if isinstance(exc, openai.APITimeoutError):
        return f"the model at {where} did not answer within {settings.timeout_s:g} s"
    if isinstance(exc, openai.APIConnectionError):
        return f"cannot reach the model endpoint {where}: is the server running?"
    if isinstance(exc, openai.AuthenticationError):
        return f"{where} refused the API key (HTTP 401): check ENDCALL_LLM_API_KEY"
    if isinstance(exc, openai.NotFoundError):
        return f"{where} answered 404: is the model {settings.model!r} installed there?"
    if isinstance(exc, openai.APIStatusError):
        return f"{where} answered HTTP {exc.status_code}: {str(exc)[:200]}"
    if isinstance(exc, BadReply):
        return f"the model's answer could not be read: {exc}"
    return f"the model's answer could not be read ({type(exc).__name__}: {str(exc)[:200]})"


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


class LLMAgent:
    backend = "llm"

    def __init__(self, settings: LLMSettings, client: Any = None) -> None:
        self.settings = settings
        self.client = client or make_client(settings)
        self.history: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    # -- the engine's entry points (return at once; work runs on a thread) ---------------
    def begin_start(self, config: CallConfig, sink: Callable[[Any], None]) -> None:
        greeting = config.agent.greeting.strip()
        if greeting:
            self.history.append({"role": "assistant", "content": greeting})
            sink(Say(greeting, "greeting"))
            sink(Final())
            return
        self._spawn(self._turn, config, sink, "opening")

    def begin_respond(
        self, config: CallConfig, text: str, turn: int, sink: Callable[[Any], None]
    ) -> None:
        with self._lock:
            self.history.append({"role": "user", "content": text})
        self._spawn(self._turn, config, sink, "reply")

    def begin_goodbye(
        self, config: CallConfig, end: EndRequest, sink: Callable[[Any], None]
    ) -> None:
        self._spawn(self._goodbye, config, sink, end)

    def _spawn(self, fn: Callable[..., None], *args: Any) -> None:
        threading.Thread(target=fn, args=args, name="llm", daemon=True).start()

    # -- one turn -------------------------------------------------------------------------
    def _messages(self, config: CallConfig) -> list[dict[str, Any]]:
        with self._lock:
            return [{"role": "system", "content": config.agent.main_prompt}, *self.history]

    def _turn(self, config: CallConfig, sink: Callable[[Any], None], purpose: str) -> None:
        action = config.end_call  # read at this turn: live edits reach the model
        t0 = time.monotonic()
        call: dict[str, Any] = {"purpose": purpose, "model": self.settings.describe()}
        try:
            text, tool_calls, ttft = (self._stream if self.settings.stream else self._once)(
                config, sink, t0
            )
        except Exception as exc:
            call.update(
                total_s=time.monotonic() - t0,
                error=describe_error(exc, self.settings),
                outcome="nothing said; the call goes on unless on_error is 'end'",
            )
            sink(Final(error=call["error"], model_call=call))
            return
        call.update(
            ttft_s=ttft,
            total_s=time.monotonic() - t0,
            text=text,
            tool_calls=[{"name": n, "arguments": a} for n, a in tool_calls],
        )
        with self._lock:
            message: dict[str, Any] = {"role": "assistant", "content": text}
            if tool_calls:
                message["tool_calls"] = [
                    {"id": f"call_{i}", "type": "function", "function": {"name": n, "arguments": a}}
                    for i, (n, a) in enumerate(tool_calls)
                ]
            self.history.append(message)
            for i, (name, _) in enumerate(tool_calls):
                self.history.append(
                    {
                        "role": "tool",
                        "tool_call_id": f"call_{i}",
                        "content": "ok" if name == action.name else f"error: no tool named {name}",
                    }
                )
        notices: list[str] = []
        end = None
        for name, arguments in tool_calls:
            if name != action.name:
                notices.append(
                    f"the model called '{name}', but the End Call action is named "
                    f"'{action.name}': ignored, the call goes on"
                )
                continue
            try:
                args = json.loads(arguments or "{}")
                reason = str(args.get("reason", "")) if isinstance(args, dict) else ""
            except json.JSONDecodeError:
                notices.append(
                    f"the model called {name} with arguments that are not JSON "
                    f"({arguments[:80]!r}); the action is invoked all the same"
                )
                reason = ""
            end = EndRequest(
                name,
                why=f"the model called {name}(reason={reason!r})",
                rule="model tool call",
                trigger_words=self._last_user(),
            )
        if end is not None:
            call["outcome"] = f"{end.action_name} invoked" + (
                "; the text beside the tool call is spoken before the action"
                if text.strip()
                else ""
            )
        elif text.strip():
            call["outcome"] = "spoken"
        else:
            notices.append("the model returned an empty reply: the agent says nothing")
            call["outcome"] = "empty reply: nothing said"
        sink(Final(end=end, notices=tuple(notices), model_call=call))

    def _last_user(self) -> str:
        with self._lock:
            return next((m["content"] for m in reversed(self.history) if m["role"] == "user"), "")

    def _once(self, config: CallConfig, sink: Callable[[Any], None], t0: float):
        response = _completion(
            self.client.chat.completions.create(
                model=self.settings.model,
                messages=self._messages(config),
                tools=[tool_definition(config.end_call)],
                temperature=self.settings.temperature,
            )
        )
        ttft = time.monotonic() - t0
        if not response.choices:
            return "", [], ttft
        message = response.choices[0].message
        text = message.content or ""
        for sentence in _sentences(text):
            sink(Say(sentence, "model reply"))
        calls = [(c.function.name, c.function.arguments or "") for c in message.tool_calls or []]
        return text, calls, ttft

    def _stream(self, config: CallConfig, sink: Callable[[Any], None], t0: float):
        stream = self.client.chat.completions.create(
            model=self.settings.model,
            messages=self._messages(config),
            tools=[tool_definition(config.end_call)],
            temperature=self.settings.temperature,
            stream=True,
        )
        response = getattr(stream, "response", None)
        ctype = response.headers.get("content-type", "") if response is not None else ""
        if ctype and "event-stream" not in ctype:
            raise BadReply(f"the endpoint answered {ctype!r}, not a chat-completions stream")
        text, pending, ttft, finished = "", "", None, False
        calls: dict[int, list[str]] = {}
        for chunk in stream:
            if not chunk.choices:
                continue
            finished = finished or chunk.choices[0].finish_reason is not None
            delta = chunk.choices[0].delta
            if ttft is None and (delta.content or delta.tool_calls):
                ttft = time.monotonic() - t0
            if delta.content:
                text += delta.content
                pending += delta.content
                # Speak each sentence as soon as it is complete.
                parts = _SENTENCE_END.split(pending)
                pending = parts.pop()
                if pending.rstrip().endswith((".", "!", "?")):
                    parts.append(pending)  # a sentence ends with this token: say it now
                    pending = ""
                for sentence in parts:
                    if sentence.strip():
                        sink(Say(sentence.strip(), "model reply (streamed)"))
            for tc in delta.tool_calls or []:
                slot = calls.setdefault(tc.index or 0, ["", ""])
                if tc.function is not None:
                    slot[0] += tc.function.name or ""
                    slot[1] += tc.function.arguments or ""
        if not finished:
            # The connection closed mid-reply: what was said stays said, the unfinished
            # rest is not spoken, and the timeline says why.
            raise BadReply(
                f"the streamed reply stopped before it finished, after {len(text)} "
                f"characters ({text[-40:]!r}): the connection closed"
            )
        if pending.strip():
            sink(Say(pending.strip(), "model reply (streamed)"))
        return text, [(n, a) for n, a in (calls[i] for i in sorted(calls))], ttft

    # -- the goodbye ----------------------------------------------------------------------
    def _goodbye(self, config: CallConfig, sink: Callable[[Any], None], end: EndRequest) -> None:
        """Invariant 3 for a model: from the goodbye prompt if set, else from the main
        prompt and the conversation."""
        prompt = config.end_call.goodbye_prompt.strip()
        if prompt:
            source, detail = "goodbye_prompt", "generated from the goodbye prompt"
            instruction = (
                f"The call is ending. Say only the goodbye, following this instruction: {prompt}"
            )
        else:
            source, detail = "main_prompt", "generated from the main prompt and the conversation"
            instruction = (
                "The call is ending now. Say only a short goodbye to the contact, as "
                "your instructions above ask; nothing else."
            )
        messages = [*self._messages(config), {"role": "user", "content": f"[{instruction}]"}]
        t0 = time.monotonic()
        call: dict[str, Any] = {"purpose": "goodbye", "model": self.settings.describe()}
        try:
            response = _completion(
                self.client.chat.completions.create(
                    model=self.settings.model,
                    messages=messages,
                    temperature=self.settings.temperature,
                )
            )
            text = (response.choices[0].message.content or "").strip() if response.choices else ""
        except Exception as exc:
            call.update(
                total_s=time.monotonic() - t0,
                error=describe_error(exc, self.settings),
                outcome="no goodbye",
            )
            sink(GoodbyeReady(None, call["error"], call))
            return
        total = time.monotonic() - t0
        call.update(
            ttft_s=total,
            total_s=total,
            text=text,
            outcome="played as the goodbye" if text else "empty: no goodbye",
        )
        sink(GoodbyeReady(GoodbyeText(text, source, detail) if text else None, "", call))


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]
