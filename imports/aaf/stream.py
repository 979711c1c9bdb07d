"""The byte stream lxml reads: prolog checks and the two repairs the AAF feed needs.

``FeedStream`` wraps a binary file and is handed to ``lxml.etree.iterparse`` as a file object.

1. Prolog (bytes before the root element), checked before lxml sees anything:
   - the declared encoding must be known and ASCII-compatible (UTF-8, ISO-8859-15, ...): the
     repairs below work on bytes; UTF-16/32 → ``FeedFileError("encoding")``;
   - a DOCTYPE naming an external DTD (``ficAlimMENESR.dtd``) is accepted and never loaded;
     a DOCTYPE with an internal subset (entity declarations: XXE, billion laughs) or any
     ``<!ENTITY`` → ``FeedFileError("dtd-entities")``;
   - the root element must be ``ficAlimMENESR`` → else ``FeedFileError("wrong-root")``;
   - no root at all (empty file, XML declaration only) → ``FeedFileError("truncated")``.
2. After the prolog, chunk by chunk (a tail is held back so that no entity reference and no
   tag is split across two chunks; multi-byte characters never contain ``&``, ``<`` or ``;``):
   - HTML named entities that no DTD declares (``&eacute;``) become numeric character
     references (``&#233;``) from ``html.entities.name2codepoint``; the five XML entities stay;
     any other name → ``FeedFileError("not-well-formed")`` (lxml would silently drop the value
     when the document has a DOCTYPE). The pass is textual: a ``&name;`` inside a comment or a
     CDATA section is treated the same way.
   - ``</attr>`` closing an open ``<modification ...>`` is rewritten ``</modification>``
     (``repairs`` counts them, ``first_repair_line`` locates the first).
   Newlines are never added or removed, so lxml's line numbers are the file's.
"""

from __future__ import annotations

import codecs
import re
from collections import deque
from html.entities import name2codepoint
from typing import BinaryIO

from .records import FeedFileError

ROOT = b"ficAlimMENESR"
CHUNK_SIZE = 1 << 16
PROLOG_LIMIT = 1 << 20  # a real prolog is ~150 bytes
MAX_ENTITY_NAME = 64
MAX_TAG_HOLD = 1 << 16

_XML_ENTITIES = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})
_ENTITY_RE = re.compile(rb"&([^\s&;<>#][^\s&;<>]*);")
_PARTIAL_ENTITY_RE = re.compile(rb"&[^\s&;<>]*")
_TAG_RE = re.compile(rb"<(/?)(attr|modification)(?=[\s/>])[^<>]*>")
_ENCODING_RE = re.compile(rb"""\sencoding\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_NAME_RE = re.compile(rb"[^\s/>]+")
_REQUEST_TAGS = (b"<addRequest", b"<modifyRequest", b"<deleteRequest")
_TAG_END = frozenset(b" \t\n\r\f\v/>")  # what may follow a tag name (regex \s, / or >)
_PROLOG_TOKENS = (b"<!DOCTYPE", b"<!--", b"<!ENTITY", b"<?", b"<" + ROOT)
_ASCII_PROBE = b"<?xml &#;abcXYZ019 =\"'/>\n"
_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
_UTF8_BOM = b"\xef\xbb\xbf"


class FeedStream:
    """File-like object (``read(size)``) streaming the repaired bytes of ``raw``."""

    def __init__(self, raw: BinaryIO, file: str, chunk_size: int = CHUNK_SIZE) -> None:
        self._raw = raw
        self._file = file
        self._chunk_size = chunk_size
        self._pending = b""  # read but not yet processed (held back at a boundary)
        self._out = bytearray()  # processed, waiting for lxml
        self._line = 1  # line number of the first byte of ``_pending``
        self._eof = False
        self._in_prolog = True
        self._in_modification = False
        self.encoding = "UTF-8"
        self.repairs = 0
        self.first_repair_line: int | None = None
        self._request_lines: deque[int] = deque()

    def record_line(self, sourceline: int | None) -> int:
        """The line of the request start tag whose end lxml just reported.

        libxml2 stores element lines in 16 bits; past line 65535 it derives an element's line
        from its first descendant, one line late. The stream notes every request start tag
        (it reads ahead of lxml); the true line is the last noted one not after lxml's.
        """
        reported = sourceline or 0
        line = None
        while self._request_lines and self._request_lines[0] <= reported:
            line = self._request_lines.popleft()
        return line if line is not None else reported

    def read(self, size: int = -1) -> bytes:
        out = self._out
        while not self._eof and (size < 0 or len(out) < size):
            self._fill()
        if size < 0 or size >= len(out):
            data = bytes(out)
            out.clear()
            return data
        with memoryview(out) as view:
            data = bytes(view[:size])
        del out[:size]
        return data

    # -- internals -----------------------------------------------------------------------

    def _error(self, code: str, message: str, line: int | None) -> FeedFileError:
        return FeedFileError(file=self._file, code=code, message=message, line=line)

    def _fill(self) -> None:
        chunk = self._raw.read(self._chunk_size)
        final = not chunk
        self._eof = final
        self._pending += chunk
        if self._in_prolog:
            root = self._scan_prolog(final)
            if root is None:
                return
            prolog = self._pending[:root]
            self._emit(prolog, prolog.count(b"\n"))
            self._pending = self._pending[root:]
            self._in_prolog = False
        cut = len(self._pending) if final else self._safe_cut(self._pending)
        if cut:
            segment = self._pending[:cut]
            newlines = self._track(segment)
            self._emit(self._transform(segment), newlines)
            self._pending = self._pending[cut:]

    def _emit(self, data: bytes, newlines: int) -> None:
        self._out += data
        self._line += newlines

    def _track(self, segment: bytes) -> int:
        """Note the line of each request start tag of ``segment``; its number of newlines.
        Literal searches and one count of each byte (a regular expression tried at every
        ``<`` cost as much as the rest of the stream)."""
        starts = []
        size = len(segment)
        for tag in _REQUEST_TAGS:
            find = segment.find
            pos = find(tag)
            while pos >= 0:
                end = pos + len(tag)
                if end < size and segment[end] in _TAG_END:
                    starts.append(pos)
                pos = find(tag, end)
        starts.sort()  # in document order when a Delta mixes kinds of request
        line, counted = self._line, 0
        lines = self._request_lines
        for pos in starts:
            line += segment.count(b"\n", counted, pos)
            counted = pos
            lines.append(line)
        return line - self._line + segment.count(b"\n", counted)

    def _safe_cut(self, buf: bytes) -> int:
        """Length of the prefix of ``buf`` that holds no split entity reference or tag."""
        cut = len(buf)
        amp = buf.rfind(b"&")
        if amp >= 0 and _PARTIAL_ENTITY_RE.fullmatch(buf, amp):
            if len(buf) - amp > MAX_ENTITY_NAME:
                line = self._line + buf.count(b"\n", 0, amp)
                raise self._error("not-well-formed", "entity reference name too long", line)
            cut = amp
        lt = buf.rfind(b"<")
        if lt >= 0 and buf.find(b">", lt) < 0 and len(buf) - lt <= MAX_TAG_HOLD:
            cut = min(cut, lt)
        return cut

    def _transform(self, segment: bytes) -> bytes:
        if b"&" in segment:
            segment = _ENTITY_RE.sub(lambda m: self._entity(m, segment), segment)
        if self._in_modification or b"<modification" in segment:
            segment = _TAG_RE.sub(lambda m: self._tag(m, segment), segment)
        return segment

    def _entity(self, match: re.Match[bytes], segment: bytes) -> bytes:
        name = match.group(1)
        if name in _XML_ENTITIES:
            return match.group(0)
        codepoint = name2codepoint.get(name.decode("latin-1"))
        if codepoint is None:
            line = self._line + segment.count(b"\n", 0, match.start())
            shown = name[:MAX_ENTITY_NAME].decode("ascii", "backslashreplace")
            raise self._error("not-well-formed", f"undefined entity &{shown};", line)
        return b"&#%d;" % codepoint

    def _tag(self, match: re.Match[bytes], segment: bytes) -> bytes:
        closing, name = match.group(1), match.group(2)
        text = match.group(0)
        if not closing:
            if not text.endswith(b"/>"):
                self._in_modification = name == b"modification"
            return text
        was_open = self._in_modification
        self._in_modification = False
        if name == b"attr" and was_open:
            self.repairs += 1
            if self.first_repair_line is None:
                self.first_repair_line = self._line + segment.count(b"\n", 0, match.start())
            return b"</modification>"
        return text

    # -- prolog --------------------------------------------------------------------------

    def _scan_prolog(self, final: bool) -> int | None:
        """Offset of the root start tag in ``_pending``; None when more bytes are needed."""
        buf = self._pending
        if buf.startswith(_UTF16_32_BOMS):
            raise self._error("encoding", "UTF-16/UTF-32 files are not supported", 1)
        pos = len(_UTF8_BOM) if buf.startswith(_UTF8_BOM) else 0
        if buf.startswith(b"<?xml", pos):
            end = buf.find(b"?>", pos)
            if end < 0:
                return self._need_more(final, pos)
            self._check_encoding(buf[pos:end])
            pos = end + 2
        while True:
            while pos < len(buf) and buf[pos] in b" \t\r\n":
                pos += 1
            if len(buf) - pos < 10 and not final:
                return self._need_more(final, pos)
            if pos >= len(buf) or (final and _is_prefix(buf, pos)):
                return self._need_more(final, pos)
            line = 1 + buf.count(b"\n", 0, pos)
            if buf.startswith(b"<!--", pos):
                end = buf.find(b"-->", pos + 4)
                pos = end + 3 if end >= 0 else -1
            elif buf.startswith(b"<?", pos):
                end = buf.find(b"?>", pos + 2)
                pos = end + 2 if end >= 0 else -1
            elif buf.startswith(b"<!DOCTYPE", pos):
                pos = self._scan_doctype(buf, pos, line)
            elif buf.startswith(b"<!ENTITY", pos):
                raise self._error("dtd-entities", "entity declarations are refused", line)
            elif buf.startswith(b"<!", pos) or not buf.startswith(b"<", pos):
                raise self._error("not-well-formed", "unexpected content before the root", line)
            else:
                name = _NAME_RE.match(buf, pos + 1)
                if name is None:
                    raise self._error("not-well-formed", "bad start tag before the root", line)
                if name.end() == len(buf):
                    return self._need_more(final, pos)
                if name.group(0) != ROOT:
                    shown = name.group(0)[:64].decode("ascii", "backslashreplace")
                    raise self._error("wrong-root", f"root element is <{shown}>", line)
                return pos
            if pos < 0:
                return self._need_more(final, len(buf))

    def _scan_doctype(self, buf: bytes, pos: int, line: int) -> int:
        """End of a DOCTYPE declaration without internal subset, -1 if incomplete."""
        quote = 0
        for index in range(pos + len(b"<!DOCTYPE"), len(buf)):
            byte = buf[index]
            if quote:
                if byte == quote:
                    quote = 0
            elif byte in b"\"'":
                quote = byte
            elif byte == ord("["):
                raise self._error(
                    "dtd-entities",
                    "DOCTYPE with an internal subset (entity declarations) is refused",
                    line,
                )
            elif byte == ord(">"):
                return index + 1
        return -1

    def _need_more(self, final: bool, pos: int) -> None:
        if final:
            line = 1 + self._pending.count(b"\n", 0, pos)
            raise self._error("truncated", "the file ends before its root element", line)
        if len(self._pending) > PROLOG_LIMIT:
            raise self._error("not-well-formed", "no root element in the first megabyte", None)
        return None

    def _check_encoding(self, declaration: bytes) -> None:
        match = _ENCODING_RE.search(declaration)
        if match is None:
            return
        name = (match.group(1) or match.group(2) or b"").decode("ascii", "replace")
        try:
            codec = codecs.lookup(name)
            compatible = _ASCII_PROBE.decode(codec.name) == _ASCII_PROBE.decode("ascii")
        except (LookupError, UnicodeDecodeError):
            raise self._error("encoding", f"unknown declared encoding {name[:40]!r}", 1) from None
        if not compatible:
            raise self._error("encoding", f"unsupported declared encoding {name[:40]!r}", 1)
        self.encoding = name


def _is_prefix(buf: bytes, pos: int) -> bool:
    """Whether the file ends inside a prolog token (``<!DOC``, ``<ficAlim``...)."""
    rest = buf[pos:]
    return any(token.startswith(rest) for token in _PROLOG_TOKENS)
