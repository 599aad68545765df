"""The tokenizer of the query language.

Tokens: identifiers (``metrics``, ``f1-macro``), backtick-quoted identifiers
(```val/loss```), strings in single or double quotes (``'lr'``, with ``\\'``
or a doubled quote to escape), numbers (``0.9``, ``1e-3``), operators
(``= == != <> < <= > >=``), punctuation (``. , ( )``) and the end. Keywords
(``and or not in like ilike is null true false asc desc``) are identifiers
the parser recognises, case-insensitively.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from shipyard.core.errors import QuerySyntaxError

__all__ = ["Kind", "Token", "tokenize"]


class Kind(enum.Enum):
    IDENT = "name"
    QUOTED_IDENT = "quoted name"
    STRING = "string"
    NUMBER = "number"
    OP = "operator"
    DOT = "'.'"
    COMMA = "','"
    LPAREN = "'('"
    RPAREN = "')'"
    MINUS = "'-'"
    END = "end of the expression"


@dataclass(frozen=True)
class Token:
    kind: Kind
    text: str
    """The token as written (for identifiers and strings: the unquoted value)."""
    pos: int
    end: int

    @property
    def length(self) -> int:
        return max(1, self.end - self.pos)

    def describe(self) -> str:
        if self.kind is Kind.END:
            return "the end of the expression"
        if self.kind is Kind.STRING:
            return f"string {self.text!r}"
        return repr(self.text)

    def is_keyword(self, *words: str) -> bool:
        return self.kind is Kind.IDENT and self.text.lower() in words


_DIGITS = frozenset("0123456789")
_NUMBER = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_OPERATORS = ("==", "!=", "<>", "<=", ">=", "=", "<", ">")
_PUNCT = {".": Kind.DOT, ",": Kind.COMMA, "(": Kind.LPAREN, ")": Kind.RPAREN, "-": Kind.MINUS}


def tokenize(text: str) -> list[Token]:
    """Cut ``text`` into tokens ending with an END token; raise on a character that fits none."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "'\"":
            token = _quoted(text, i, ch, Kind.STRING)
        elif ch == "`":
            token = _quoted(text, i, ch, Kind.QUOTED_IDENT)
        elif ch in _DIGITS or (
            ch == "."
            and i + 1 < n
            and text[i + 1] in _DIGITS
            and not (tokens and tokens[-1].kind in (Kind.IDENT, Kind.QUOTED_IDENT))
        ):
            match = _NUMBER.match(text, i)
            assert match is not None
            end = match.end()
            if end < n and (text[end].isalnum() or text[end] == "_"):
                word = _IDENT.match(text, end)
                stop = word.end() if word else end + 1
                raise QuerySyntaxError(
                    f"malformed number {text[i:stop]!r} at column {i + 1}",
                    query=text,
                    position=i,
                    length=stop - i,
                    hint="names that start with a digit need backticks, e.g. metrics.`1st`",
                )
            token = Token(Kind.NUMBER, text[i:end], i, end)
        elif ch.isascii() and (ch.isalpha() or ch == "_"):
            match = _IDENT.match(text, i)
            assert match is not None
            token = Token(Kind.IDENT, match.group(), i, match.end())
        elif ch in _PUNCT:
            token = Token(_PUNCT[ch], ch, i, i + 1)
        else:
            op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
            if op is None:
                raise QuerySyntaxError(
                    f"unexpected character {ch!r} at column {i + 1}",
                    query=text,
                    position=i,
                    hint="quote text values ('lr') and names with special characters (`val/loss`)",
                )
            token = Token(Kind.OP, op, i, i + len(op))
        tokens.append(token)
        i = token.end
    tokens.append(Token(Kind.END, "", n, n))
    return tokens


def _quoted(text: str, start: int, quote: str, kind: Kind) -> Token:
    """A quoted string or name starting at ``start``; backslash or doubling escapes the quote."""
    chars: list[str] = []
    i, n = start + 1, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in (quote, "\\"):
            chars.append(text[i + 1])
            i += 2
        elif ch == quote and i + 1 < n and text[i + 1] == quote:
            chars.append(quote)
            i += 2
        elif ch == quote:
            return Token(kind, "".join(chars), start, i + 1)
        else:
            chars.append(ch)
            i += 1
    what = "string" if kind is Kind.STRING else "quoted name"
    raise QuerySyntaxError(
        f"unterminated {what} at column {start + 1}",
        query=text,
        position=start,
        length=n - start,
        hint=f"close it with {quote}",
    )
