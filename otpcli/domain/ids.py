"""Order ids as the user typed them, checked before anything is sent.

An id is what a provider printed (`otp buy`, `otp rent buy`, `otp email buy`): a short
run of visible characters. `check_id` refuses, as bad input (exit 2), an empty id, one
longer than `MAX_ID` characters, and one holding whitespace or control characters: no
provider issues such ids, so asking would only spend a request (and, for a key-bearing
URL, put hostile text into it) to hear "no such order". Typer-free and import-light:
the fast path (cli/quick.py) checks `otp status ID` with it too.
"""

from __future__ import annotations

from otpcli.domain.errors import BadInput

MAX_ID = 64


def check_id(value: str, what: str = "id") -> str:
    """`value` if it can be an order id; else BadInput saying why (nothing is sent)."""
    hint = f"give the {what} as printed when it was bought (`otp orders` lists yours)"
    if not value:
        raise BadInput(f"the {what} is empty", hint=hint)
    if len(value) > MAX_ID:
        # Not echoed whole: a pasted page is no id, and the error should stay one line.
        raise BadInput(
            f"the {what} {value[:20]!r}... is {len(value)} characters long "
            f"(ids are at most {MAX_ID})",
            hint=hint,
        )
    if any(c.isspace() or not c.isprintable() for c in value):
        raise BadInput(
            f"the {what} {value!r} holds spaces or control characters",
            hint=hint,
        )
    return value
