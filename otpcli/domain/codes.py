"""Find the one-time code in a message's text.

Contract: `extract_code(text) -> str | None` is a pure function. It returns the code as
ASCII digits (4 to 8 of them), joined when the message splits it (`740-279` → `740279`,
`123 456` → `123456`, `G-123456` → `123456`), or None when the text holds no code or
when two *different* candidates are equally plausible: no code is better than a wrong
one, because the caller still shows the full text.

How (each step says why):
1. Unicode decimal digits (Arabic-Indic `٤٥٦`, Devanagari `९८७`, full-width `１２３`)
   become ASCII, so one set of patterns serves every script.
2. Things that look like numbers but are not codes are blanked out first: phone numbers
   (9+ digits, or anything after `+`), dates, times, money amounts, decimals, URLs.
3. Candidates: a letter prefix and dash (`G-123456`, `FB-12345`), two equal groups of
   3 or 4 digits split by one dash or space, then a bare run of 4 to 8 digits. Digits
   glued to Latin letters (`4sgLq1p5`) are not candidates.
4. Each candidate is scored by context: a code word ("code", "код", "验证码", "código",
   "رمز", "कोड", "OTP", ...) in the same sentence raises it, close by raises it more;
   an order/reference/amount word just before it drops it; a year-like number (19xx/20xx)
   with no code word near drops it. The best score wins if only one value has it.
"""

from __future__ import annotations

import re
import unicodedata

MIN_DIGITS = 4
MAX_DIGITS = 8

# Lower-case; matched as substrings because CJK text has no word boundaries.
_CODE_WORDS = (
    "code",
    "codigo",
    "código",
    "codice",
    "kode",
    "kodu",
    "kod ",
    "otp",
    "pin",
    "passcode",
    "password",
    "verification",
    "verify",
    "token",
    "код",
    "пароль",
    "验证码",
    "驗證碼",
    "校验码",
    "动态码",
    "确认码",
    "コード",
    "認証",
    "인증",
    "رمز",
    "كود",
    "कोड",
    "ओटीपी",
    "senha",
    "mã",
)
# Words that, right before a number, say it is something else.
_OTHER_WORDS = (
    "order",
    "ref",
    "txn",
    "transaction",
    "invoice",
    "tracking",
    "balance",
    "amount",
    "account",
    "a/c",
    "id:",
    "id ",
    "call",
    "заказ",
    "订单",
)
_NEAR = 16  # characters between a code word and the code that count as "close"
_BEFORE = 14  # how far back an "other" word can sit

_PHONE = re.compile(r"\+\s?\d[\d\s\-().]{6,}\d|(?<!\d)\d{9,}(?!\d)")
_DATE = re.compile(
    r"(?<!\d)(?:\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})(?!\d)"
)
_TIME = re.compile(r"(?<!\d)\d{1,2}:\d{2}(?::\d{2})?(?!\d)")
_CURRENCY = r"(?:[$€£₹¥₽₩₦₱]|rs\.?|inr|usd|eur|gbp|pkr|rub|руб\.?|yuan|元|円|dollars?|rupees?)"
_AMOUNT = re.compile(
    rf"{_CURRENCY}\s?\d[\d,.\s]*\d|{_CURRENCY}\s?\d|\d[\d,.]*\s?{_CURRENCY}(?![a-z])",
    re.IGNORECASE,
)
_DECIMAL = re.compile(r"\d+[.,]\d+(?:[.,]\d+)*")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)

_NOT_ALNUM_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_ALNUM_AFTER = r"(?![0-9A-Za-z])"
_PREFIXED = re.compile(rf"{_NOT_ALNUM_BEFORE}[A-Z]{{1,4}}-(\d{{4,8}}){_NOT_ALNUM_AFTER}")
_GROUPED = re.compile(
    rf"{_NOT_ALNUM_BEFORE}(\d{{3}})[- ](\d{{3}}){_NOT_ALNUM_AFTER}(?![- ]\d)"
    rf"|{_NOT_ALNUM_BEFORE}(\d{{4}})[- ](\d{{4}}){_NOT_ALNUM_AFTER}(?![- ]\d)"
)
_BARE = re.compile(rf"{_NOT_ALNUM_BEFORE}\d{{4,8}}{_NOT_ALNUM_AFTER}")
_SENTENCE_END = re.compile(r"[.!?。！？\n]")


def _ascii_digits(text: str) -> str:
    out = []
    for ch in text:
        if not ch.isascii():
            value = unicodedata.decimal(ch, None)
            if value is not None:
                ch = str(value)
        out.append(ch)
    return "".join(out)


def _blank(text: str, pattern: re.Pattern[str]) -> str:
    # Same length, so positions in the blanked text still match the original.
    return pattern.sub(lambda m: "#" * len(m.group(0)), text)


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    left = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    m = _SENTENCE_END.search(text, end)
    return left, (m.start() if m else len(text))


def _score(low: str, start: int, end: int, value: str, prefixed: bool) -> int:
    s_from, s_to = _sentence(low, start, end)
    best: int | None = None  # distance to the nearest code word, either side
    best_before: int | None = None  # the same, for code words before the number
    for word in _CODE_WORDS:
        for m in re.finditer(re.escape(word), low[s_from:s_to]):
            w_start, w_end = s_from + m.start(), s_from + m.end()
            if w_end <= start:
                distance = start - w_end
                if best_before is None or distance < best_before:
                    best_before = distance
            elif w_start >= end:
                distance = w_start - end
            else:
                continue
            if best is None or distance < best:
                best = distance
    score = 1
    if best is not None:
        score = 3 if best <= _NEAR else 2
    if prefixed:
        score += 1
    # An order/reference/amount word right before the number names it, unless a code
    # word sits between them ("Apple ID code: 123456").
    before = low[max(0, start - _BEFORE) : start]
    other = max((before.rfind(w) + len(w) for w in _OTHER_WORDS if w in before), default=-1)
    if other >= 0:
        other_distance = len(before) - other
        if best_before is None or best_before >= other_distance:
            score = 0
    if len(value) == 4 and value[:2] in ("19", "20") and best is None:
        score = 0  # a year, most likely
    return score


def extract_code(text: str | None) -> str | None:
    """The one code in `text`, as ASCII digits, or None (none, or ambiguous)."""
    if not text:
        return None
    norm = _ascii_digits(unicodedata.normalize("NFC", text))
    masked = norm
    for pattern in (_URL, _PHONE, _DATE, _TIME, _AMOUNT, _DECIMAL):
        masked = _blank(masked, pattern)
    low = masked.lower()

    candidates: list[tuple[int, str]] = []  # (score, value)
    taken = masked
    for m in _PREFIXED.finditer(taken):
        candidates.append((_score(low, m.start(), m.end(), m.group(1), True), m.group(1)))
    taken = _blank(taken, _PREFIXED)
    for m in _GROUPED.finditer(taken):
        value = "".join(g for g in m.groups() if g)
        candidates.append((_score(low, m.start(), m.end(), value, False), value))
    taken = _blank(taken, _GROUPED)
    for m in _BARE.finditer(taken):
        value = m.group(0)
        candidates.append((_score(low, m.start(), m.end(), value, False), value))

    if not candidates:
        return None
    top = max(score for score, _ in candidates)
    if top <= 0:
        return None
    best = {value for score, value in candidates if score == top}
    return best.pop() if len(best) == 1 else None
