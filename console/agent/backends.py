"""One place that turns a backend choice into an agent, for every part that needs one.

The scenario runners, the terminal call and the benchmarks build their agent here from
the config's `agent.backend` (or a command line's --llm), so a model behaves the same
under each. The key is never in a choice: it comes from the environment (or the
window's settings, which build their own LLMSettings).
"""

from __future__ import annotations

from console.agent.llm import LLMAgent, LLMSettings
from console.agent.offline import OfflineAgent
from console.core.agent_port import Agent
from console.core.config import AgentBackend, ModelEndpoint


def llm_settings(
    endpoint: ModelEndpoint, api_key: str = "", url_credentials: tuple[str, str] = ("", "")
) -> LLMSettings:
    return LLMSettings(
        url_user=url_credentials[0],
        url_password=url_credentials[1],
        base_url=endpoint.base_url,
        model=endpoint.model,
        api_key=api_key,
        timeout_s=endpoint.timeout_s,
        stream=endpoint.stream,
        temperature=endpoint.temperature,
        max_tokens=endpoint.max_tokens,
        reply_deadline_s=endpoint.reply_deadline_s,
        seed=endpoint.seed,
    )


def make_agent(backend: AgentBackend, url_credentials: tuple[str, str] = ("", "")) -> Agent:
    """A fresh agent for one call (agents keep the call's conversation)."""
    if backend.kind == "llm":
        return LLMAgent(llm_settings(backend.llm, url_credentials=url_credentials))
    return OfflineAgent()


def split_llm_url(url: str) -> tuple[str, tuple[str, str]]:
    """A command line's --llm URL without its user-info, and that user-info (kept for the
    connection only; registered as secrets so no copy of it is ever shown)."""
    from console.core.redact import split_url_credentials

    clean, user, password = split_url_credentials(url)
    return clean, (user, password)


class BadBackend(ValueError):
    """A command line's model choice breaks a rule; the message names it (never the URL's
    secrets)."""


def with_llm(backend: AgentBackend, base_url: str, model: str | None = None) -> AgentBackend:
    """The backend a command line's --llm URL [--llm-model NAME] asks for, checked by the
    same rules as a config file's."""
    from pydantic import ValidationError

    from console.core.config import problems_from

    data = backend.llm.model_dump()
    data.update(base_url=base_url, **({"model": model} if model else {}))
    try:
        llm = ModelEndpoint.model_validate(data)
    except ValidationError as exc:
        raise BadBackend("; ".join(str(p) for p in problems_from(exc, "--llm"))) from None
    return AgentBackend(kind="llm", llm=llm)
