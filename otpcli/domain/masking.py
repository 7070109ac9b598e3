"""Masking secrets in text, and making provider text safe for a terminal.

`Masker` replaces every secret in a text with `***`, also when it comes back changed: in
another letter case (a provider echoing the key lower-cased), URL-encoded, or cut (any
fragment of FRAGMENT or more characters, e.g. a 12-character prefix). Secrets shorter
than FRAGMENT are masked whole and exactly as given: in any case, a short one would also
hide ordinary words of a reply (the sandbox's scenario key `bad` inside `BAD_KEY`).
`escape_controls` shows control characters and escape sequences as `\\x1b`-style
escapes and keeps real text (Cyrillic, CJK, emoji) as it is. Pure functions and a plain
class: both run on the start-up path of every command (DESIGN §5), so nothing heavy is
imported here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MASK = "***"
# A key fragment this long is masked wherever it appears; shorter ones are ordinary text
# (any 7 characters of a random key also occur in words and numbers by chance).
FRAGMENT = 8
# Secrets shorter than this are not masked at all: "ab" would mask half the output.
SHORTEST = 3


def _lower(text: str) -> str:
    """`text` lower-cased character by character, so indexes still match `text`
    (str.lower turns some characters, e.g. 'İ', into two)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


class Masker:
    """Masks the secrets it was given, in raw and URL-encoded forms, in any text."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        forms: set[str] = set()
        for s in secrets:
            if s and len(s) >= SHORTEST:
                forms.add(s)
                if not s.isalnum():
                    from urllib.parse import quote, quote_plus

                    forms.update({quote(s, safe=""), quote_plus(s)})
        # Short secrets: masked whole, longest first (an encoded form contains the raw one).
        self._whole = sorted((f for f in forms if len(f) < FRAGMENT), key=len, reverse=True)
        # Long ones: every FRAGMENT-long window of them, lower-cased, found by one regex
        # of zero-width lookaheads, so overlapping windows are all seen at C speed (replies
        # of 100 kB are masked on every poll).
        grams = {
            low[i : i + FRAGMENT]
            for low in (_lower(f) for f in forms if len(f) >= FRAGMENT)
            for i in range(len(low) - FRAGMENT + 1)
        }
        self._grams: Any = None
        if grams:
            import re

            alternatives = "|".join(re.escape(g) for g in sorted(grams))
            self._grams = re.compile(f"(?=(?:{alternatives}))")

    def __bool__(self) -> bool:
        return bool(self._whole or self._grams)

    def __call__(self, text: str) -> str:
        if not text or not self:
            return text
        low = _lower(text)
        hidden = bytearray(len(text))  # 1 where a character belongs to a secret
        for form in self._whole:
            start = text.find(form)
            while start >= 0:
                hidden[start : start + len(form)] = b"\1" * len(form)
                start = text.find(form, start + 1)
        if self._grams is not None:
            for m in self._grams.finditer(low):
                hidden[m.start() : m.start() + FRAGMENT] = b"\1" * FRAGMENT
        if not any(hidden):
            return text
        out: list[str] = []
        for i, c in enumerate(text):
            if not hidden[i]:
                out.append(c)
            elif i == 0 or not hidden[i - 1]:
                out.append(MASK)  # one mask per run of hidden characters
        return "".join(out)


# Characters a terminal acts on instead of showing: C0 controls (but newline and tab),
# DEL and C1 controls (0x9b is a one-byte CSI), line/paragraph separators, the bidi
# overrides that reorder what is shown ("Trojan Source") and lone surrogates.
_UNSAFE = frozenset(
    [
        *range(0x00, 0x09),
        *range(0x0B, 0x20),
        *range(0x7F, 0xA0),
        *(0x061C, 0x200E, 0x200F),
        *range(0x2028, 0x202F),
        *range(0x2066, 0x206A),
    ]
)


def _escaped(c: str) -> str:
    n = ord(c)
    if n in _UNSAFE or 0xD800 <= n <= 0xDFFF:
        return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}"
    return c


def escape_controls(text: str) -> str:
    """`text` with every character a terminal would act on shown as an escape
    (ESC as `\\x1b`); newlines, tabs and printable Unicode stay as they are."""
    if text.isascii() and text.isprintable():
        return text  # the common case, at C speed
    return "".join(_escaped(c) for c in text)


def json_safe(text: str) -> str:
    """A JSON document with the characters a terminal acts on (which JSON allows raw:
    DEL, C1 controls, bidi overrides) written as \\uXXXX escapes: still the same JSON."""
    if text.isascii() and "\x7f" not in text:
        return text  # json.dumps already escaped C0 controls
    return "".join(
        f"\\u{ord(c):04x}" if ord(c) in _UNSAFE or 0xD800 <= ord(c) <= 0xDFFF else c for c in text
    )
