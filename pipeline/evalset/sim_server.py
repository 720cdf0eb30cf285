"""A SIMULATED LLM behind a real OpenAI-compatible HTTP server on 127.0.0.1 (random port).

It answers POST /v1/chat/completions with prepared answers: the request's project is found by
the truth project's name (and indicator names, to tell apart same-named projects) in the first
user message, and the answer is that project's prepared (error-injected) JSON. Repair rounds
get the same answer: a model that stands by its reading. Replies follow the request's form: a
tool call when tools are offered, a ```json block when the prompt asks for one, JSON otherwise.
Evaluation only: it lets `jixiao eval --simulate-llm` measure the gate through the real path.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from schemas import Project

_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")


def estimate_tokens(text: str) -> int:
    """A rough count: a CJK character is a token, other text four characters a token."""
    cjk = len(_CJK.findall(text))
    return cjk + (len(text) - cjk + 3) // 4


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def find_project(text: str, truths: Sequence[Project]) -> int | None:
    """Index of the truth project the text shows: its name present, most indicator names next."""
    scored = [
        (len(p.name), sum(1 for ind in p.indicators if ind.name and ind.name in text), -i, i)
        for i, p in enumerate(truths)
        if p.name and p.name in text
    ]
    return max(scored)[3] if scored else None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: SimulatedLLM


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet eval output
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            body = {}
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            self._send(404, {"error": {"message": f"no route {self.path}"}})
            return
        status, reply = self.server.owner.answer(body)
        self._send(status, reply)

    def _send(self, status: int, obj: object) -> None:
        data = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass


class SimulatedLLM:
    """`with SimulatedLLM() as sim: sim.prepare(truths, answers)`; then sim.base_url."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.truths: list[Project] = []
        self.answers: list[dict[str, Any]] = []
        self.requests = 0
        self.unmatched = 0
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def prepare(self, truths: Sequence[Project], answers: Sequence[Project]) -> None:
        """The next document: its truth projects (to recognise requests) and the answers."""
        if len(truths) != len(answers):
            raise ValueError("one answer per truth project")
        data = [
            a.model_dump(mode="json", include=set(Project.model_fields))
            | {"source_inconsistencies": []}
            for a in answers
        ]
        with self._lock:
            self.truths = list(truths)
            self.answers = data

    def answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """(HTTP status, body) for one chat-completions request."""
        messages = [m for m in body.get("messages", []) if isinstance(m, dict)]
        users = [m for m in messages if m.get("role") == "user"]
        first = _text(users[0]) if users else ""
        with self._lock:
            self.requests += 1
            n = self.requests
            i = find_project(first, self.truths)
            if i is None:
                self.unmatched += 1
                return 400, {"error": {"message": "simulated LLM: no known project in the request"}}
            payload = json.dumps(self.answers[i], ensure_ascii=False)
        message: dict[str, Any] = {"role": "assistant", "content": None}
        finish = "stop"
        tools = body.get("tools") or []
        all_text = "\n".join(_text(m) for m in messages)
        if tools:
            name = tools[0].get("function", {}).get("name", "answer")
            call = {
                "id": f"call_{n}",
                "type": "function",
                "function": {"name": name, "arguments": payload},
            }
            message["tool_calls"] = [call]
            finish = "tool_calls"
        elif "```json" in all_text:
            message["content"] = f"```json\n{payload}\n```"
        else:
            message["content"] = payload
        prompt = estimate_tokens(all_text) + estimate_tokens(json.dumps(tools, ensure_ascii=False))
        completion = estimate_tokens(payload)
        return 200, {
            "id": f"chatcmpl-simulated-{n}",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": str(body.get("model", "simulated")),
            "choices": [
                {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }

    def start(self) -> SimulatedLLM:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> SimulatedLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
