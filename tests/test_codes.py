"""`domain.codes.extract_code` on a table of real-looking messages in several languages."""

from __future__ import annotations

import pytest

from otpcli.domain.codes import extract_code

TABLE: list[tuple[str, str | None]] = [
    # the document's own example
    ("<#> Your WhatsApp Business code 740-279", "740279"),
    ("Your verification code is 847293", "847293"),
    ("G-123456 is your Google verification code.", "123456"),
    ("FB-12345 is your Facebook confirmation code", "12345"),
    ("Your code is 123 456", "123456"),
    (
        "Your Telegram code is 12345. Do not give this code to anyone, even if they say "
        "they are from Telegram!",
        "12345",
    ),
    ("<#> Your WhatsApp code: 123-456 Don't share this code with others 4sgLq1p5sV6", "123456"),
    ("Your Uber code: 4821. Never share this code. Reply STOP ENDUBER to unsubscribe.", "4821"),
    ("Your Apple ID code is: 123456. Don't share it.", "123456"),
    ("Use 482913 to verify your account. Call +1 800 555 0199 for help", "482913"),
    ("Your OTP for txn of INR 2,500.00 at AMAZON is 774411. Valid till 12:45", "774411"),
    ("Amazon: 1234 5678 is your one-time password", "12345678"),
    ("Discord verification code: 90817263", "90817263"),
    # other languages and scripts
    ("Ваш код: 5821", "5821"),
    ("Код подтверждения 384756. Никому не сообщайте его.", "384756"),
    ("您的验证码是 938271，5分钟内有效。", "938271"),
    ("【微信】验证码：601928，请勿泄露。", "601928"),
    ("Tu código es 4410", "4410"),
    ("Seu código de verificação é 552019", "552019"),
    ("Dein Code lautet 772199", "772199"),
    ("Il tuo codice di verifica è 310577", "310577"),
    ("Kode verifikasi Anda adalah 864209", "864209"),
    ("رمز التحقق الخاص بك هو ٤٥٦٧٨٩", "456789"),
    ("आपका ओटीपी कोड ९८७६५४ है", "987654"),
    ("認証コード：１２３４５６", "123456"),
    ("Doğrulama kodunuz 719304", "719304"),
    # a single bare number in a short OTP message
    ("246810", "246810"),
    # things that are not codes, or ambiguous ones
    ("Your code is 1234 or 5678", None),
    ("Order 5678 confirmed. Amount Rs 1200.", None),
    ("Happy new year 2024!", None),
    ("Your balance is $1,250.75 as of 12/03/2024", None),
    ("Call us on +44 20 7946 0958", None),
    ("Meeting at 14:30 on 2024-05-17", None),
    ("Hello, your parcel is on its way.", None),
    ("", None),
    # a code next to numbers that are not codes
    ("Your code is 1234. Order 5678 confirmed", "1234"),
    ("Paid Rs 499.00. Your OTP is 302118. Ref 88812", "302118"),
]

# A guard on the table itself, not a test of the product: checked when the module loads.
assert len(TABLE) >= 30, f"the extraction table should keep at least 30 cases, has {len(TABLE)}"


@pytest.mark.parametrize(("text", "code"), TABLE)
def test_extract(text: str, code: str | None) -> None:
    assert extract_code(text) == code


def test_none_and_no_digits() -> None:
    assert extract_code(None) is None
    assert extract_code("no digits at all") is None
