"""A small OpenAI-compatible server of the tests' own, for the faults a real one won't
produce on demand: 429 with Retry-After, 500 then success, timeouts, cut streams,
malformed JSON, refusals. The model id in the request picks the behaviour:

    ok | usage-less | reasoning | 429-then-ok | 500-then-ok | 401 | slow | cut | malformed
    | echo-key (401 whose body repeats the Authorization header)
    | redirect (307 to the address in `redirect_to`)

and "<behaviour>:<tag>" keeps separate counters per tag.
"""

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WORDS = ["Les", " centres", " de", " données", " consomment", " de", " l'électricité", "."]


class FakeProvider:
    def __init__(self):
        self.requests: Counter[str] = Counter()
        self.headers: list[dict] = []
        self.active = 0
        self.max_active = 0
        self.slow_seconds = 4.0
        self.redirect_to = ""
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def start(self) -> "FakeProvider":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                model = body["model"]
                behaviour = model.split(":")[0]
                with fake._lock:
                    fake.requests[model] += 1
                    count = fake.requests[model]
                    fake.headers.append(dict(self.headers))
                    fake.active += 1
                    fake.max_active = max(fake.max_active, fake.active)
                try:
                    fake.respond(self, behaviour, count, body)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with fake._lock:
                        fake.active -= 1

        return Handler

    def respond(self, handler, behaviour: str, count: int, body: dict) -> None:
        if behaviour == "429-then-ok" and count == 1:
            return self._plain(
                handler, 429, {"error": {"message": "slow down"}}, {"Retry-After": "1"}
            )
        if behaviour == "500-then-ok" and count == 1:
            return self._plain(handler, 500, {"error": {"message": "boom"}})
        if behaviour == "401":
            return self._plain(handler, 401, {"error": {"message": "Invalid API key"}})
        if behaviour == "echo-key":
            sent = handler.headers.get("Authorization", "")
            return self._plain(handler, 401, {"error": {"message": f"Key refused: {sent}"}})
        if behaviour == "redirect":
            return self._plain(handler, 307, {}, {"Location": self.redirect_to})
        if behaviour == "timeout":
            time.sleep(self.slow_seconds)
            return self._plain(handler, 200, {})
        if not body.get("stream"):
            return self._plain(
                handler,
                200,
                {
                    "choices": [
                        {
                            "message": {"role": "assistant", "content": "".join(WORDS)},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 12, "completion_tokens": len(WORDS)},
                },
            )
        self._stream(handler, behaviour)

    def _plain(self, handler, status: int, payload: dict, headers: dict | None = None) -> None:
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _stream(self, handler, behaviour: str) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.close_connection = True

        def send(payload) -> None:
            text = payload if isinstance(payload, str) else json.dumps(payload)
            handler.wfile.write(f"data: {text}\n\n".encode())
            handler.wfile.flush()

        if behaviour == "malformed":
            send("{not json")
            return
        pause = self.slow_seconds / len(WORDS) if behaviour == "slow" else 0.0
        if behaviour == "reasoning":
            for thought in ["Réfléchissons", "."]:
                send({"choices": [{"delta": {"reasoning_content": thought}}]})
        for index, word in enumerate(WORDS):
            if behaviour == "cut" and index == len(WORDS) // 2:
                return  # the connection closes mid-answer
            send({"choices": [{"delta": {"content": word}, "finish_reason": None}]})
            time.sleep(pause)
        send({"choices": [{"delta": {}, "finish_reason": "stop"}]})
        if behaviour != "usage-less":
            reasoning = {"reasoning_tokens": 2} if behaviour == "reasoning" else {}
            send(
                {
                    "choices": [],
                    "usage": {
                        "prompt_tokens": 12,
                        "completion_tokens": len(WORDS) + (2 if reasoning else 0),
                        "completion_tokens_details": reasoning,
                    },
                }
            )
        send("[DONE]")
