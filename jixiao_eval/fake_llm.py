"""A fake OpenAI-compatible server: a real HTTP server on 127.0.0.1 (random port).

It speaks POST /v1/chat/completions (and /chat/completions), answers from a script (replies in
order, added with enqueue(), or a function of the request, like pydantic-ai's FunctionModel),
and records every request it received, body and headers. Replies adapt to the request: a tool
call when the request offers tools (TOOLS mode), JSON content otherwise, fenced in ```json when
the request asks for a code block (MD_JSON). The tests and `jixiao eval --simulate-llm` use it.

    with ScriptedLLM([Reply.error(429, {"Retry-After": "1"}), Reply.answer(project)]) as llm:
        settings = LLMSettings(model="scripted", base_url=llm.base_url, ...)
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from schemas import Project

_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")
ReplyKind = Literal["answer", "raw", "prose", "error", "reset"]
IMAGE_TOKENS = 765  # what a 512px-tiled image costs on OpenAI's vision models, roughly


def estimate_tokens(text: str) -> int:
    """A rough tokenizer: a CJK character is a token, other text four characters a token."""
    cjk = len(_CJK.findall(text))
    return cjk + (len(text) - cjk + 3) // 4


def message_text(message: dict[str, Any]) -> str:
    """All text of one chat message (string content or text parts)."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def image_count(message: dict[str, Any]) -> int:
    """Number of image parts in a message."""
    content = message.get("content")
    if not isinstance(content, list):
        return 0
    return sum(1 for p in content if isinstance(p, dict) and p.get("type") == "image_url")


@dataclass
class Received:
    """One request as the server received it."""

    index: int
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    def text(self) -> str:
        """Every message's text, joined."""
        return "\n".join(message_text(m) for m in self.messages)

    def last_user_text(self) -> str:
        """The text of the last user message."""
        users = [m for m in self.messages if m.get("role") == "user"]
        return message_text(users[-1]) if users else ""

    def images(self) -> int:
        return sum(image_count(m) for m in self.messages)

    def prompt_tokens(self) -> int:
        """What the server reports as prompt tokens (rough, deterministic)."""
        tools = json.dumps(self.body.get("tools") or "", ensure_ascii=False)
        return estimate_tokens(self.text()) + estimate_tokens(tools) + IMAGE_TOKENS * self.images()


@dataclass
class Reply:
    """A scripted answer: a structured answer, raw text, an HTTP error, a delay or a reset."""

    kind: ReplyKind
    payload: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    @staticmethod
    def answer(obj: Project | dict[str, Any], **extra: Any) -> Reply:
        """The JSON of a project (extra fields such as source_inconsistencies may be added)."""
        data = obj.model_dump(mode="json") if isinstance(obj, Project) else dict(obj)
        data = {k: v for k, v in data.items() if k not in ("source_inconsistent", "truth_notes")}
        return Reply("answer", data | extra)

    @staticmethod
    def raw(text: str) -> Reply:
        """Text where the JSON should be (tool arguments or content): e.g. invalid JSON."""
        return Reply("raw", text)

    @staticmethod
    def prose(text: str) -> Reply:
        """Plain message content even when tools are offered (a model ignoring tool_choice)."""
        return Reply("prose", text)

    @staticmethod
    def error(status: int, headers: dict[str, str] | None = None, message: str = "") -> Reply:
        """An HTTP error with an OpenAI-style error body."""
        return Reply("error", message or f"scripted {status}", status, headers or {})

    @staticmethod
    def reset() -> Reply:
        """Close the connection without answering."""
        return Reply("reset")

    def after(self, seconds: float) -> Reply:
        """The same reply, sent after a delay (longer than the client's timeout: a timeout)."""
        return Reply(self.kind, self.payload, self.status, dict(self.headers), seconds)


Script = Callable[[Received], Reply]


class ReplyQueue:
    """Replies in order, one per request; a request past the end gets a 500 'script exhausted'."""

    def __init__(self, replies: Iterable[Reply] = ()) -> None:
        self._items = list(replies)
        self._lock = threading.Lock()

    def extend(self, replies: Iterable[Reply]) -> None:
        """Add replies at the end of the queue."""
        with self._lock:
            self._items.extend(replies)

    def __call__(self, _: Received) -> Reply:
        with self._lock:
            return (
                self._items.pop(0) if self._items else Reply.error(500, message="script exhausted")
            )


def project_of(req: Received, projects: Sequence[Project]) -> int | None:
    """Index of the project whose name the first user message carries (longest name wins)."""
    users = [m for m in req.messages if m.get("role") == "user"]
    text = message_text(users[0]) if users else ""
    hits = [(len(p.name), i) for i, p in enumerate(projects) if p.name and p.name in text]
    return max(hits)[1] if hits else None


def answer_by_name(
    projects: Sequence[Project],
    override: Callable[[Received, int], Reply | None] | None = None,
) -> Script:
    """A perfect model: answers each request with the project named in it (override first)."""

    def reply(req: Received) -> Reply:
        i = project_of(req, projects)
        if i is None:
            return Reply.error(400, message="no known project in the request")
        if override is not None:
            special = override(req, i)
            if special is not None:
                return special
        return Reply.answer(projects[i])

    return reply


def _completion(req: Received, reply: Reply, n: int) -> dict[str, Any]:
    text = (
        json.dumps(reply.payload, ensure_ascii=False)
        if reply.kind == "answer"
        else str(reply.payload)
    )
    message: dict[str, Any] = {"role": "assistant", "content": None}
    finish = "stop"
    tools = req.body.get("tools") or []
    if reply.kind == "prose":
        message["content"] = text
    elif tools:
        name = tools[0].get("function", {}).get("name", "answer")
        message["tool_calls"] = [
            {
                "id": f"call_{n}",
                "type": "function",
                "function": {"name": name, "arguments": text},
            }
        ]
        finish = "tool_calls"
    elif "```json" in req.text():
        message["content"] = f"```json\n{text}\n```"
    else:
        message["content"] = text
    completion_tokens = estimate_tokens(text)
    prompt_tokens = req.prompt_tokens()
    return {
        "id": f"chatcmpl-scripted-{n}",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": str(req.body.get("model", "scripted")),
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: ScriptedLLM


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    def do_POST(self) -> None:
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {"_unparsed": raw.decode("utf-8", "replace")}
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            self._send(404, {"error": {"message": f"no route {self.path}"}})
            return
        req = owner._record(self.path, dict(self.headers.items()), body)
        owner._enter()
        try:
            self._answer(owner, req)
        finally:
            owner._leave()

    def _answer(self, owner: ScriptedLLM, req: Received) -> None:
        try:
            reply = owner.script(req)
        except Exception as exc:  # a broken script is a test failure, reported by the 500
            owner.script_errors.append(repr(exc))
            reply = Reply.error(500, message=f"script raised {exc!r}")
        if reply.delay:
            time.sleep(reply.delay)
        if reply.kind == "reset":
            self.close_connection = True
            self.connection.close()
            return
        if reply.kind == "error":
            err = {"error": {"message": reply.payload, "type": "scripted", "code": reply.status}}
            self._send(reply.status, err, reply.headers)
            return
        self._send(200, _completion(req, reply, req.index))

    def _send(self, status: int, obj: object, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a scripted timeout)


class ScriptedLLM:
    """The server: start with `with ScriptedLLM(script) as llm:`; llm.base_url, llm.requests.

    keep_history=False keeps only the count of requests (long simulations send thousands).
    """

    def __init__(
        self, script: Script | Iterable[Reply] | None = None, *, keep_history: bool = True
    ) -> None:
        self.requests: list[Received] = []
        self.count = 0  # requests received on the chat-completions route
        self.keep_history = keep_history
        self.script_errors: list[str] = []
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests it was answering at once
        self._lock = threading.Lock()
        self.script: Script = ReplyQueue()
        if script is not None:
            self.set_script(script)
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def set_script(self, script: Script | Iterable[Reply]) -> None:
        """Replace the script (a function of the request, or replies in order)."""
        self.script = script if callable(script) else ReplyQueue(script)

    def enqueue(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, after any still queued."""
        if isinstance(self.script, ReplyQueue):
            self.script.extend(replies)
        else:
            self.script = ReplyQueue(replies)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def _record(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> Received:
        with self._lock:
            req = Received(self.count, path, headers, body)
            self.count += 1
            if self.keep_history:
                self.requests.append(req)
            return req

    def _enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def start(self) -> ScriptedLLM:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> ScriptedLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
