"""Providers: how an answer is asked of an endpoint.

One provider speaks the OpenAI chat-completions protocol, streamed as
server-sent events with usage requested: it serves OpenRouter, Albert,
Mistral, Hugging Face's router, Ollama, vLLM, LM Studio and llama.cpp. Keys
come only from the environment variable that the endpoint names, one of those
the deployment allows, and never appear in an error, a log line or the
database. Before anything is sent, the endpoint's address is checked
(duels/endpoint_safety.py); redirects are never followed.

Errors say whether trying again may help (429, 5xx, timeouts, cut streams) and
carry a message a facilitator can read.
"""

import json
import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import requests
import urllib3

from duels import endpoint_safety
from duels.models import Endpoint, Generation

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 10
# How much of a refusal's body a facilitator is shown.
_BODY_EXCERPT = 200


class ProviderError(Exception):
    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        status: int | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status


class MissingKey(ProviderError):
    def __init__(self, variable: str):
        super().__init__(f"la clé {variable} n'est pas définie", retryable=False)


@dataclass
class Answer:
    text: str
    reasoning: str
    input_tokens: int | None
    output_tokens: int
    reasoning_tokens: int | None
    token_source: str
    time_to_first_token_ms: int | None
    duration_ms: int


# Called with the text and reasoning received so far, as they grow.
OnProgress = Callable[[str, str], None]


def api_key(endpoint: Endpoint) -> str | None:
    """The endpoint's key from the environment; refuse before sending anything if it is unset,
    or if the variable is not one the deployment allows (a row saved without validation)."""
    if not endpoint.requires_key:
        return None
    if refusal := endpoint_safety.key_variable_refusal(endpoint.api_key_env):
        raise ProviderError(f"{refusal} Rien n'a été envoyé.", retryable=False)
    value = os.environ.get(endpoint.api_key_env)
    if not value:
        raise MissingKey(endpoint.api_key_env)
    return value


def estimate_tokens(text: str) -> int:
    """About four characters a token, in French as in English: an estimate, said as such."""
    return max(1, math.ceil(len(text) / 4)) if text else 0


def chat_completion(
    endpoint: Endpoint,
    model_id: str,
    messages: list[dict],
    settings: dict | None = None,
    *,
    on_progress: OnProgress | None = None,
    stream: bool = True,
) -> Answer:
    key = api_key(endpoint)
    url = endpoint.base_url.rstrip("/") + "/chat/completions"
    try:
        endpoint_safety.check_destination(url, is_local=endpoint.is_local, sends_key=bool(key))
    except endpoint_safety.Refused as refusal:
        raise ProviderError(str(refusal), retryable=False) from None
    except OSError:  # the name did not resolve: may pass, like a refused connection
        raise ProviderError(
            f"impossible de joindre le fournisseur ({endpoint.name})", retryable=True
        ) from None
    # identity: the stream is read raw, line by line, and must not come compressed.
    headers = {
        "Content-Type": "application/json",
        "Accept": "text/event-stream",
        "Accept-Encoding": "identity",
    }
    if key:
        headers["Authorization"] = f"Bearer {key}"
    body = {"model": model_id, "messages": messages, **(settings or {}), "stream": stream}
    if stream:
        body["stream_options"] = {"include_usage": True}

    started = time.monotonic()
    deadline = started + endpoint.timeout_seconds
    try:
        response = requests.post(
            url,
            json=body,
            headers=headers,
            stream=stream,
            timeout=(CONNECT_TIMEOUT_SECONDS, endpoint.timeout_seconds),
            # A redirect would take the key where check_destination did not look.
            allow_redirects=False,
        )
    except requests.Timeout:
        raise ProviderError("le fournisseur n'a pas répondu à temps", retryable=True) from None
    except requests.ConnectionError:
        raise ProviderError(
            f"impossible de joindre le fournisseur ({endpoint.name})", retryable=True
        ) from None

    with response:
        _raise_for_status(response, key)
        try:
            if stream:
                return _read_stream(response, started, deadline, on_progress)
            return _read_whole(response, started)
        except requests.Timeout:
            raise ProviderError("le fournisseur n'a pas répondu à temps", retryable=True) from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
            raise ProviderError("le flux de la réponse a été interrompu", retryable=True) from None


def _raise_for_status(response: requests.Response, key: str | None) -> None:
    status = response.status_code
    if 300 <= status < 400:
        raise ProviderError(
            f"le fournisseur a demandé une redirection ({status}), qui n'est pas suivie : "
            "corriger l'URL de base du point d'accès",
            retryable=False,
            status=status,
        )
    if status < 400:
        return
    excerpt = _excerpt(response)
    if key:
        # Some providers echo the key they refused; it must not reach a page or a log.
        excerpt = excerpt.replace(key, "***")
    if status == 429:
        raise ProviderError(
            "le fournisseur limite le nombre de requêtes (429)",
            retryable=True,
            retry_after=_retry_after(response.headers.get("Retry-After")),
            status=status,
        )
    if status >= 500 or status == 408:
        raise ProviderError(
            f"le fournisseur est en erreur : {status}", retryable=True, status=status
        )
    raise ProviderError(
        f"le fournisseur a refusé : {status}" + (f" ({excerpt})" if excerpt else ""),
        retryable=False,
        status=status,
    )


def _excerpt(response: requests.Response) -> str:
    try:
        text = response.text
    except requests.RequestException:
        return ""
    try:
        error = json.loads(text).get("error")
        if isinstance(error, dict):
            text = str(error.get("message", ""))
        elif isinstance(error, str):
            text = error
    except (ValueError, AttributeError):
        pass
    return " ".join(text.split())[:_BODY_EXCERPT]


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds: a number of seconds, or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _chunk(payload: str) -> dict:
    try:
        chunk = json.loads(payload)
    except ValueError:
        raise ProviderError(
            "réponse illisible du fournisseur (JSON invalide)", retryable=False
        ) from None
    if not isinstance(chunk, dict):
        raise ProviderError("réponse illisible du fournisseur", retryable=False)
    if "error" in chunk:
        # OpenRouter and others report failures inside a stream that began with 200.
        error = chunk["error"]
        message = error.get("message", "") if isinstance(error, dict) else str(error)
        raise ProviderError(
            f"le fournisseur a signalé une erreur : {' '.join(message.split())[:_BODY_EXCERPT]}",
            retryable=True,
        )
    return chunk


def _lines(response: requests.Response):
    """The stream's lines as they arrive. requests' iter_lines waits for 512 bytes (or, with
    no size, for the end of a stream that is not chunked): a live answer would come in bursts.
    """
    pending = b""
    try:
        while data := response.raw.read1(8192):
            pending += data
            *lines, pending = pending.split(b"\n")
            for line in lines:
                yield line.rstrip(b"\r").decode("utf-8", errors="replace")
    except urllib3.exceptions.ReadTimeoutError:
        raise ProviderError("le fournisseur n'a pas répondu à temps", retryable=True) from None
    except urllib3.exceptions.HTTPError:
        raise ProviderError("le flux de la réponse a été interrompu", retryable=True) from None
    if pending:
        yield pending.decode("utf-8", errors="replace")


def _read_stream(response, started: float, deadline: float, on_progress) -> Answer:
    text: list[str] = []
    reasoning: list[str] = []
    usage = None
    pieces = 0
    first_token_at = None
    finished = False

    for line in _lines(response):
        if time.monotonic() > deadline:
            raise ProviderError("le fournisseur n'a pas répondu à temps", retryable=True)
        if not line or not line.startswith("data:"):
            continue  # blank separators and SSE comments (": keep-alive")
        payload = line[len("data:") :].strip()
        if payload == "[DONE]":
            finished = True
            break
        chunk = _chunk(payload)
        usage = chunk.get("usage") or usage
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            content = delta.get("content") or ""
            # DeepSeek and vLLM say reasoning_content; OpenRouter and llama.cpp say reasoning.
            thought = delta.get("reasoning_content") or delta.get("reasoning") or ""
            if content or thought:
                pieces += 1
                first_token_at = first_token_at or time.monotonic()
                text.append(content)
                reasoning.append(thought)
                if on_progress is not None:
                    on_progress("".join(text), "".join(reasoning))
            if choice.get("finish_reason"):
                finished = True

    if not finished:
        raise ProviderError("le flux de la réponse a été interrompu", retryable=True)
    answer_text = "".join(text)
    if not answer_text.strip():
        raise ProviderError("le fournisseur a renvoyé une réponse vide", retryable=True)
    return _answer(answer_text, "".join(reasoning), usage, pieces, started, first_token_at)


def _read_whole(response, started: float) -> Answer:
    body = _chunk(response.text)
    choices = body.get("choices") or []
    if not choices:
        raise ProviderError("réponse illisible du fournisseur (aucun choix)", retryable=False)
    message = choices[0].get("message") or {}
    text = message.get("content") or ""
    if not text.strip():
        raise ProviderError("le fournisseur a renvoyé une réponse vide", retryable=True)
    reasoning = message.get("reasoning_content") or message.get("reasoning") or ""
    return _answer(text, reasoning, body.get("usage"), None, started, None)


def _answer(text, reasoning, usage, pieces, started, first_token_at) -> Answer:
    duration_ms = round((time.monotonic() - started) * 1000)
    ttft_ms = None if first_token_at is None else round((first_token_at - started) * 1000)
    if usage and usage.get("completion_tokens") is not None:
        details = usage.get("completion_tokens_details") or {}
        return Answer(
            text=text,
            reasoning=reasoning,
            input_tokens=usage.get("prompt_tokens"),
            output_tokens=usage["completion_tokens"],
            reasoning_tokens=details.get("reasoning_tokens"),
            token_source=Generation.TokenSource.COUNTED,
            time_to_first_token_ms=ttft_ms,
            duration_ms=duration_ms,
        )
    # No usage (llama.cpp's streams carry none): each streamed piece is usually one token;
    # without a stream, count by characters. Either way it is an estimate, and says so.
    output = pieces if pieces else estimate_tokens(text) + estimate_tokens(reasoning)
    return Answer(
        text=text,
        reasoning=reasoning,
        input_tokens=None,
        output_tokens=output,
        reasoning_tokens=None,
        token_source=Generation.TokenSource.ESTIMATED,
        time_to_first_token_ms=ttft_ms,
        duration_ms=duration_ms,
    )
