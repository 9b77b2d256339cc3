"""The `tools/list` cache: a rewritten tool list is remembered per upstream and policy, so a later session's identical
list (any message id) is answered from bytes without decoding, rewriting and encoding it again.

Also the compact view of listed tools that the proxy keeps to check calls (`known_tools`).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from bridge.policy import Policy, call_facts

# Stands for the message id in a cached rewritten list: random, so no tool list can contain it by chance.
_ID_MARK = f"\x00port-mcp-bridge-id-{uuid.uuid4().hex}\x00"
_ID_MARK_JSON = json.dumps(_ID_MARK).encode()
_KEEP_BYTES = 1 << 20  # a cached list larger than this is remembered by its SHA-256 (3 ms a hit), not kept twice
_WINDOW = 256  # how far from either end of the data the message id may be, to be found without decoding
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


@dataclass(frozen=True, slots=True)
class ListedTools:
    """A `tools/list` answer as rewritten under `policy`, reusable for any later answer whose data is byte for byte
    the same except for the message id.

    The data is kept as the bytes before and after the id's value (`head`, `tail`), or for a large list (over
    `_KEEP_BYTES`) only their lengths and SHA-256 (`digest`), the rewritten data as the bytes around the id
    (`out_head`, `out_tail`; None when the rewrite changed nothing), and `known`: the tools as `known_tools` keeps
    them. A hit costs comparing (or hashing) the bytes and decoding the id; the id is located when the entry is built,
    only when it is provably the message's own (`_top_level_id`), so a hit is exactly what a fresh rewrite would give.
    """

    policy: Policy
    head: bytes  # empty when `digest` is set
    tail: bytes
    sizes: tuple[int, int]  # len(head), len(tail)
    digest: bytes | None
    out_head: bytes | None
    out_tail: bytes | None
    known: dict[str, dict[str, Any]]

    @classmethod
    def build(
        cls, policy: Policy, data: bytes, message: dict[str, Any], rewritten: Any, known: dict[str, dict[str, Any]]
    ) -> ListedTools | None:
        span = top_level_id(data, message.get("id"))
        if span is None:
            return None
        out_head = out_tail = None
        if rewritten is not message:
            out = encode({**rewritten, "id": _ID_MARK})
            at = out.find(_ID_MARK_JSON)
            out_head, out_tail = out[:at], out[at + len(_ID_MARK_JSON) :]
        sizes = (span[0], len(data) - span[1])
        if len(data) > _KEEP_BYTES:
            return cls(policy, b"", b"", sizes, _digest(data, *sizes), out_head, out_tail, known)
        return cls(policy, data[: span[0]], data[span[1] :], sizes, None, out_head, out_tail, known)

    def match(self, policy: Policy, data: bytes, list_ids: set[Any]) -> tuple[Any, bytes] | None:
        """(message id, its bytes) if `data` is this list answering one of `list_ids` under `policy`, else None."""
        head, tail = self.sizes
        if policy != self.policy or len(data) <= head + tail or len(data) > head + tail + 64:
            return None
        token = data[head : len(data) - tail]
        try:
            msg_id = json.loads(token)
        except ValueError:
            return None
        if isinstance(msg_id, bool) or not isinstance(msg_id, int | str) or msg_id not in list_ids:
            return None
        if self.digest is None:
            same = data.startswith(self.head) and data.endswith(self.tail)
        else:
            same = _digest(data, head, tail) == self.digest
        return (msg_id, token) if same else None

    def rewrite(self, event: bytes, start: int, end: int, token: bytes) -> bytes:
        assert self.out_head is not None and self.out_tail is not None
        return b"".join((event[:start], self.out_head, token, self.out_tail, event[end:]))


def _digest(data: bytes, head: int, tail: int) -> bytes:
    view = memoryview(data)
    return hashlib.sha256(view[:head]).digest() + hashlib.sha256(view[len(data) - tail :]).digest()


def top_level_id(data: bytes, msg_id: Any) -> tuple[int, int] | None:
    """Where the value of the message's own `"id"` member is in `data`, if it can be shown without decoding: it
    occurs once, within `_WINDOW` bytes of either end, at depth 1 (inside the message object, outside any string)."""
    if isinstance(msg_id, bool) or not isinstance(msg_id, int | str):
        return None
    value = json.dumps(msg_id).encode()
    # Starting with the literal `"id"` lets the regex engine skip ahead at memchr speed (9x faster on 2 MB than
    # starting with `[{,]`); what precedes a match, a `{` or `,`, is checked after.
    pattern = re.compile(rb'"id"[ \t\r\n]*:[ \t\r\n]*(' + re.escape(value) + rb")(?=[ \t\r\n]*[,}])")
    found = [(before, m) for m in pattern.finditer(data) if (before := _member_start(data, m.start())) >= 0]
    if len(found) != 1:
        return None
    before, match = found[0]
    start, end = match.span(1)
    if start <= _WINDOW:
        depth = _depth(data[: before + 1])  # up to and including the `{` or `,` before "id"
        return (start, end) if depth == 1 else None
    if len(data) - end <= _WINDOW:
        depth = _depth(data[end:])  # what follows closes the objects the id is in: exactly one
        return (start, end) if depth == -1 and data.rstrip().endswith(b"}") else None
    return None


def _member_start(data: bytes, pos: int) -> int:
    """Where the `{` or `,` that opens the member starting at `pos` is (only whitespace between), or -1."""
    i = pos - 1
    while i >= 0 and data[i] in b" \t\r\n":
        i -= 1
    return i if i >= 0 and data[i] in b"{," else -1


def _depth(text: bytes) -> int | None:
    """Objects and arrays opened minus closed in `text`, which starts outside any string; None if it goes below -1
    or ends inside a string."""
    depth = 0
    pos = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        pos = match.end()
        if token in (b"{", b"["):
            depth += 1
        elif token in (b"}", b"]"):
            depth -= 1
            if depth < -1:
                return None
    if text.count(b'"', pos) % 2:  # an unterminated string
        return None
    return depth


def known_tools(tools: list[Any]) -> dict[str, dict[str, Any]]:
    """The tools as `decide_call` needs them (`call_facts`): a 2,000-tool list would otherwise pin megabytes per
    profile, and even a reference to each tool's own annotations keeps most of the decoded list's memory alive."""
    out = {}
    for tool in tools:
        if isinstance(tool, dict) and isinstance(tool.get("name"), str):
            facts = call_facts(tool)
            facts["name"] = name = tool["name"].encode().decode()  # a copy: not a reference into the decoded list
            out[name] = facts
    return out


def encode(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()
