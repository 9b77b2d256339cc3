"""Edit one member of a JSON (or JSON-with-comments) file by splicing text, so everything else stays byte for byte.

Re-serialising a parsed document would lose comments, reorder nothing but still reflow every other entry; instead
`scan` finds where the top-level members and the members of one section are, and `set_member` replaces or inserts
exactly one `"name": value` in that section. Pure functions: text in, text out.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_WS = " \t\r\n"
_LITERAL = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null")


class JsoncError(ValueError):
    """The text is not JSON (nor JSON with comments and trailing commas); `position` is a character offset."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.position = position


@dataclass(frozen=True)
class Member:
    key: str
    key_start: int  # offset of the key's opening quote
    value_start: int
    value_end: int  # offset just past the value
    comma_end: int | None  # offset just past the comma that follows it, if any


@dataclass(frozen=True)
class Obj:
    start: int  # offset of "{"
    end: int  # offset just past "}"
    members: tuple[Member, ...]

    def get(self, key: str) -> Member | None:
        found = [m for m in self.members if m.key == key]
        return found[-1] if found else None  # JSON parsers keep the last duplicate


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.has_comments = False

    def error(self, message: str) -> JsoncError:
        line = self.text.count("\n", 0, self.pos) + 1
        return JsoncError(f"{message} (line {line})", self.pos)

    def skip(self) -> None:
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            if ch in _WS:
                self.pos += 1
            elif text.startswith("//", self.pos):
                self.has_comments = True
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            elif text.startswith("/*", self.pos):
                self.has_comments = True
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    raise self.error("unterminated /* comment")
                self.pos = end + 2
            else:
                return

    def string(self) -> str:
        start = self.pos
        self.pos += 1
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == "\\":
                self.pos += 2
            elif ch == '"':
                self.pos += 1
                try:
                    value: str = json.loads(self.text[start : self.pos])
                except ValueError as exc:
                    raise self.error("bad string") from exc
                return value
            elif ch == "\n":
                break
            else:
                self.pos += 1
        raise self.error("unterminated string")

    def value(self, depth: int) -> Obj | None:
        """Scan one value; returns its `Obj` when it is an object (members recorded only while depth > 0)."""
        self.skip()
        if self.pos >= len(self.text):
            raise self.error("unexpected end of file")
        ch = self.text[self.pos]
        if ch == "{":
            return self.obj(depth)
        if ch == "[":
            self.pos += 1
            self.skip()
            while not self.text.startswith("]", self.pos):
                self.value(0)
                self.skip()
                if self.text.startswith(",", self.pos):
                    self.pos += 1
                    self.skip()
                elif not self.text.startswith("]", self.pos):
                    raise self.error("expected ',' or ']'")
            self.pos += 1
            return None
        if ch == '"':
            self.string()
            return None
        match = _LITERAL.match(self.text, self.pos)
        if not match:
            raise self.error("unexpected character")
        self.pos = match.end()
        return None

    def obj(self, depth: int) -> Obj:
        start = self.pos
        self.pos += 1
        members: list[Member] = []
        self.skip()
        while not self.text.startswith("}", self.pos):
            if not self.text.startswith('"', self.pos):
                raise self.error("expected a quoted key")
            key_start = self.pos
            key = self.string()
            self.skip()
            if not self.text.startswith(":", self.pos):
                raise self.error("expected ':'")
            self.pos += 1
            self.skip()
            value_start = self.pos
            self.value(depth - 1 if depth > 0 else 0)
            value_end = self.pos
            self.skip()
            comma_end = None
            if self.text.startswith(",", self.pos):
                self.pos += 1
                comma_end = self.pos
                self.skip()
            elif not self.text.startswith("}", self.pos):
                raise self.error("expected ',' or '}'")
            members.append(Member(key, key_start, value_start, value_end, comma_end))
        self.pos += 1
        return Obj(start, self.pos, tuple(members))


@dataclass(frozen=True)
class Document:
    text: str
    root: Obj | None  # None: an empty (or whitespace-only) file
    data: dict[str, Any]
    has_comments: bool


def parse(text: str) -> Document:
    """Scan `text`; raises `JsoncError` if it is not JSON/JSONC or its top level is not an object."""
    scanner = _Scanner(text)
    scanner.skip()
    if scanner.pos >= len(text):
        return Document(text, None, {}, scanner.has_comments)
    if text[scanner.pos] != "{":
        raise scanner.error("the top level is not an object")
    root = scanner.obj(1)
    scanner.skip()
    if scanner.pos < len(text):
        raise scanner.error("unexpected text after the end")
    return Document(text, root, _loads(text, root) if scanner.has_comments else json.loads(text), scanner.has_comments)


def _loads(text: str, root: Obj) -> dict[str, Any]:
    """The values of a JSONC document: blank out comments and trailing commas, then parse as JSON."""
    out = []
    scanner = _Scanner(text)
    last = 0
    pos = 0
    while pos < len(text):
        ch = text[pos]
        if ch == '"':
            scanner.pos = pos
            scanner.string()
            pos = scanner.pos
        elif text.startswith("//", pos) or text.startswith("/*", pos):
            scanner.pos = pos
            scanner.skip()  # skips whitespace and comments up to the next token
            out.append(text[last:pos])
            out.append(" ")
            pos = last = scanner.pos
        elif ch == ",":
            scanner.pos = pos + 1
            scanner.skip()
            if scanner.pos < len(text) and text[scanner.pos] in "]}":
                out.append(text[last:pos])
                pos = last = pos + 1
            else:
                pos += 1
        else:
            pos += 1
    out.append(text[last:])
    data: dict[str, Any] = json.loads("".join(out))
    return data


def section(doc: Document, key: str) -> Obj | None:
    """The object under the top-level `key`, scanned with its members; None when absent. Raises `JsoncError`
    when `key` holds something other than an object."""
    if doc.root is None:
        return None
    member = doc.root.get(key)
    if member is None:
        return None
    if not doc.text.startswith("{", member.value_start):
        raise JsoncError(f'"{key}" is not an object', member.value_start)
    scanner = _Scanner(doc.text)
    scanner.pos = member.value_start
    return scanner.obj(1)


# --- writing ------------------------------------------------------------------------------------------------


def indent_unit(text: str) -> str:
    """The file's indentation step: the first indented line's leading whitespace (two spaces if none)."""
    for line in text.splitlines():
        stripped = line.lstrip(" \t")
        if stripped and len(stripped) < len(line):
            lead = line[: len(line) - len(stripped)]
            return "\t" if lead.startswith("\t") else " " * len(lead)
    return "  "


def _line_indent(text: str, pos: int) -> str:
    start = text.rfind("\n", 0, pos) + 1
    lead = text[start:pos]
    return lead if not lead.strip() else ""


def _dump(value: Any, unit: str, base: str, nl: str = "\n") -> str:
    dumped = json.dumps(value, indent=unit, ensure_ascii=False)
    return dumped.replace("\n", nl + base)


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _after_line(text: str, pos: int) -> int:
    """Where a new line may go after `pos`: past trailing spaces and a `//` comment on the same line."""
    end = pos
    while end < len(text) and text[end] in " \t":
        end += 1
    if text.startswith("//", end):
        nl = text.find("\n", end)
        end = len(text) if nl < 0 else nl
        if text[end - 1 : end] == "\r":
            end -= 1
    return end


def _insert_member(text: str, obj: Obj, key: str, value: Any, unit: str) -> str:
    nl = _newline(text)
    if obj.members:
        last = obj.members[-1]
        indent = _line_indent(text, last.key_start)
        if not indent:  # members on one line, e.g. {"a": 1}: keep it on one line
            member = f"{json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}"
            at = last.comma_end if last.comma_end is not None else last.value_end
            return text[:at] + ("" if last.comma_end is not None else ",") + " " + member + text[at:]
        member = f"{json.dumps(key)}: {_dump(value, unit, indent, nl)}"
        if last.comma_end is not None:
            at = _after_line(text, last.comma_end)
            return text[:at] + nl + indent + member + "," + text[at:]
        at = _after_line(text, last.value_end)
        return text[: last.value_end] + "," + text[last.value_end : at] + nl + indent + member + text[at:]
    # an empty object: indent from the line its "{" is on, whatever precedes it there
    line_start = text.rfind("\n", 0, obj.start) + 1
    line = text[line_start : obj.start]
    outer = line[: len(line) - len(line.lstrip(" \t"))]
    inner = outer + unit
    member = f"{json.dumps(key)}: {_dump(value, unit, inner, nl)}"
    return text[: obj.start + 1] + nl + inner + member + nl + outer + text[obj.end - 1 :]


def set_member(text: str, section_key: str, key: str, value: Any) -> str:
    """`text` with `root[section_key][key] = value`, creating the section if needed; nothing else changes."""
    doc = parse(text)
    unit = indent_unit(text)
    if doc.root is None:
        nl = _newline(text)
        return _dump({section_key: {key: value}}, unit, "", nl) + nl
    sec = section(doc, section_key)
    if sec is None:
        return _insert_member(text, doc.root, section_key, {key: value}, unit)
    existing = sec.get(key)
    if existing is None:
        return _insert_member(text, sec, key, value, unit)
    indent = _line_indent(text, existing.key_start)
    rendered = _dump(value, unit, indent, _newline(text)) if indent else json.dumps(value, ensure_ascii=False)
    return text[: existing.value_start] + rendered + text[existing.value_end :]


def _line_start(text: str, pos: int) -> int | None:
    """The start of `pos`'s line when only whitespace precedes `pos` on it; None otherwise."""
    start = text.rfind("\n", 0, pos) + 1
    return start if not text[start:pos].strip(" \t") else None


def _through_newline(text: str, pos: int) -> int:
    if text.startswith("\r\n", pos):
        return pos + 2
    return pos + 1 if text.startswith("\n", pos) else pos


def remove_member(text: str, section_key: str, key: str) -> str:
    """`text` without `root[section_key][key]` (every duplicate of it): its lines go, with the comma that joined it
    to a neighbour, and nothing else changes. A missing member leaves `text` as it is."""
    while True:
        sec = section(parse(text), section_key)
        if sec is None or sec.get(key) is None:
            return text
        index = max(i for i, m in enumerate(sec.members) if m.key == key)
        text = _cut(text, sec, index)


def _cut(text: str, sec: Obj, index: int) -> str:
    member = sec.members[index]
    if len(sec.members) == 1:  # the only member: an empty object, on one line
        return text[: sec.start + 1] + text[sec.end - 1 :]
    line = _line_start(text, member.key_start)
    if member.comma_end is not None:  # "key": value, (comments on its line go with it)
        end = _after_line(text, member.comma_end)
        if line is not None:
            return text[:line] + text[_through_newline(text, end) :]
        while end < len(text) and text[end] in " \t":
            end += 1
        return text[: member.key_start] + text[end:]
    # the last member, without a comma: the previous member's comma goes instead
    previous = sec.members[index - 1]
    assert previous.comma_end is not None  # it is followed by this member
    end = _after_line(text, member.value_end)
    start = member.key_start
    if line is not None and line > 0:
        start = line - (2 if text[line - 2 : line] == "\r\n" else 1)  # from the end of the line before
    else:
        while start > previous.comma_end and text[start - 1] in " \t":
            start -= 1
    text = text[:start] + text[end:]
    return text[: previous.comma_end - 1] + text[previous.comma_end :]
