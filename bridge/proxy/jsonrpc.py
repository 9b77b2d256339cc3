"""Just enough JSON-RPC 2.0 for the proxy: parse a POST body, find requests by method, build error replies."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
# Server-defined codes (-32000..-32099) the bridge uses for its own answers.
POLICY_REFUSED = -32010
SIGN_IN_REQUIRED = -32011
UPSTREAM_UNAVAILABLE = -32012
APPROVAL_DECLINED = -32013  # the user said no (or did not answer in time): the call never went to Port
APPROVAL_UNAVAILABLE = -32014  # the call needs approval and nothing could ask: how to approve is in the message


class InvalidMessage(ValueError):
    """The body is JSON but not JSON-RPC; `code` is what to answer with."""

    def __init__(self, message: str, code: int = INVALID_REQUEST) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Body:
    """A parsed POST body: one message or a batch, kept as plain dicts."""

    messages: list[dict[str, Any]]
    batch: bool

    def requests(self) -> list[dict[str, Any]]:
        """Messages that expect an answer (they have an id and a method)."""
        return [m for m in self.messages if "method" in m and m.get("id") is not None]


def parse_body(raw: bytes) -> Body:
    """Parse and check the shape of a POST body. Raises `json.JSONDecodeError` or `InvalidMessage`."""
    try:
        data = json.loads(raw)
    except RecursionError:  # a hostile, deeply nested document: a parse error, not a crash
        raise json.JSONDecodeError("JSON nested too deeply", "", 0) from None
    except UnicodeDecodeError:  # bytes that are no UTF-8/16/32 text at all
        raise json.JSONDecodeError("Body is not UTF-8 text", "", 0) from None
    batch = isinstance(data, list)
    messages = data if batch else [data]
    if batch and not messages:
        raise InvalidMessage("Empty batch.")
    for message in messages:
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
            raise InvalidMessage('Each message must be a JSON object with "jsonrpc": "2.0".')
        if "method" in message:
            if not isinstance(message["method"], str):
                raise InvalidMessage('"method" must be a string.')
        elif "result" not in message and "error" not in message:
            raise InvalidMessage("A message needs a method (request or notification) or a result or error (response).")
        msg_id = message.get("id")
        if isinstance(msg_id, bool) or not isinstance(msg_id, str | int | None):
            raise InvalidMessage('"id" must be a string or an integer.')
    return Body(messages, batch)


# Requests that only read, or whose repetition changes nothing (`initialize` makes a session the server lets expire).
_SAFE_TO_REPEAT = frozenset({
    "initialize", "ping", "server/discover", "tools/list", "resources/list", "resources/templates/list",
    "resources/read", "resources/subscribe", "resources/unsubscribe", "prompts/list", "prompts/get",
    "completion/complete", "logging/setLevel",
})  # fmt: skip


def safe_to_repeat(messages: Iterable[Any]) -> bool:
    """Whether the body carrying `messages` may be sent a second time should its first sending be lost: only if every
    message is a notification, a response, or a request known to change nothing. Above all not a `tools/call`, which
    may run a self-service action (a deployment, say): that is never repeated on the bridge's own initiative."""
    for message in messages:
        if not isinstance(message, dict):
            return False
        method = message.get("method")
        if method is not None and message.get("id") is not None and method not in _SAFE_TO_REPEAT:
            return False
    return True


def loads_or_none(content: bytes) -> Any:
    """`content` decoded as JSON, or None when it is not JSON (or nested too deeply to decode)."""
    try:
        return json.loads(content)
    except (ValueError, RecursionError):
        return None


def is_message(data: Any) -> bool:
    """Whether decoded JSON is a JSON-RPC message or a batch of them (by their `"jsonrpc": "2.0"`)."""
    messages = data if isinstance(data, list) else [data]
    return bool(messages) and all(isinstance(m, dict) and m.get("jsonrpc") == "2.0" for m in messages)


def error(msg_id: Any, code: int, message: str, data: Any = None) -> dict[str, Any]:
    err: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        err["data"] = data
    return {"jsonrpc": "2.0", "id": msg_id, "error": err}


def encode(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
