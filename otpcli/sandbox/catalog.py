"""The simulator's fixed catalog: countries, services, prices, stock, SMS texts, phones.

Pure data and pure functions (no I/O, no heavy imports) so that `otp sandbox scenarios`
and the README can read `SCENARIOS` cheaply. Prices are `Decimal` in play money
(currency `PLAY`); stock is static (a purchase does not use it up), and a few cells are
0 on purpose so that `NO_NUMBERS` can be met with a real service too.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

CURRENCY = "PLAY"
START_BALANCE = Decimal("1000.00")
DEFAULT_COUNTRY = "22"

# Ids start above 2**32 so that a client storing them in 32 bits fails at once.
ID_BASE = 5_000_000_000


@dataclass(frozen=True)
class Scenario:
    service: str  # the service code to buy (for kind "api key": the key pattern)
    behaviour: str
    kind: str = "service"


# The special service codes a script author can buy to meet each situation; available
# in every country. Keep in sync with the table in `otpcli/sandbox/__init__.py`.
SCENARIOS: tuple[Scenario, ...] = (
    Scenario("nonum", "getNumber answers NO_NUMBERS (stock 0)"),
    Scenario("nobal", "getNumber answers NO_BALANCE (price 1000000.00, above any wallet)"),
    Scenario("never", "the SMS never arrives (expires after the lifetime, 20 min; refunded)"),
    Scenario("slow", "the SMS arrives after 60 s of sandbox time (not the SMS delay)"),
    Scenario("multi", "after setStatus=3 a second SMS with a new code arrives"),
    Scenario("bad*", "an API key starting with 'bad' gets BAD_KEY for every action", "api key"),
)


@dataclass(frozen=True)
class CountryInfo:
    id: str
    name: str
    factor: Decimal  # price multiplier against the base price


COUNTRIES: dict[str, CountryInfo] = {
    c.id: c
    for c in (
        CountryInfo("0", "Russia", Decimal("1.40")),
        CountryInfo("6", "Indonesia", Decimal("0.80")),
        CountryInfo("12", "USA", Decimal("3.20")),
        CountryInfo("16", "United Kingdom", Decimal("2.60")),
        CountryInfo("22", "India", Decimal("1.00")),
        CountryInfo("73", "Brazil", Decimal("1.10")),
    )
}


@dataclass(frozen=True)
class ServiceInfo:
    code: str
    name: str
    base_price: Decimal
    digits: int  # length of the code in the SMS
    template: str  # "{shown}" is the code as the SMS shows it
    sms_delay: float | None = None  # sandbox seconds; None: the default delay
    never: bool = False  # no SMS ever arrives
    price: Decimal | None = None  # a fixed price in every country
    stock: int | None = None  # a fixed stock in every country


SERVICES: dict[str, ServiceInfo] = {
    s.code: s
    for s in (
        ServiceInfo(
            "tg",
            "Telegram",
            Decimal("12.50"),
            5,
            "Your Telegram code is {shown}. Do not give this code to anyone, "
            "even if they say they are from Telegram!",
        ),
        ServiceInfo(
            "wa",
            "WhatsApp",
            Decimal("18.00"),
            6,
            "<#> Your WhatsApp code: {shown} Don't share this code with others 4sgLq1p5sV6",
        ),
        ServiceInfo(
            "ig", "Instagram", Decimal("9.00"), 6, "{shown} is your Instagram code. Don't share it."
        ),
        ServiceInfo(
            "fb", "Facebook", Decimal("8.50"), 5, "FB-{shown} is your Facebook confirmation code"
        ),
        ServiceInfo(
            "go", "Google", Decimal("15.00"), 6, "G-{shown} is your Google verification code."
        ),
        ServiceInfo(
            "tw", "Twitter / X", Decimal("7.00"), 6, "Your X verification code is {shown}."
        ),
        ServiceInfo(
            "ds", "Discord", Decimal("6.50"), 6, "Your Discord verification code is: {shown}"
        ),
        ServiceInfo(
            "am",
            "Amazon",
            Decimal("11.00"),
            6,
            "{shown} is your Amazon OTP. Do not share it with anyone.",
        ),
        ServiceInfo(
            "oi", "Tinder", Decimal("14.00"), 6, "Your Tinder code is {shown}. Don't share."
        ),
        ServiceInfo(
            "ub",
            "Uber",
            Decimal("5.00"),
            4,
            "Your Uber code: {shown}. Never share this code. Reply STOP ENDUBER to unsubscribe.",
        ),
        # Scenario services (see SCENARIOS).
        ServiceInfo(
            "nonum",
            "Scenario: no numbers",
            Decimal("1.00"),
            6,
            "Your verification code is {shown}",
            price=Decimal("1.00"),
            stock=0,
        ),
        ServiceInfo(
            "nobal",
            "Scenario: no balance",
            Decimal("1000000.00"),
            6,
            "Your verification code is {shown}",
            price=Decimal("1000000.00"),
            stock=100,
        ),
        ServiceInfo(
            "never",
            "Scenario: SMS never arrives",
            Decimal("5.00"),
            6,
            "Your verification code is {shown}",
            never=True,
            price=Decimal("5.00"),
            stock=100,
        ),
        ServiceInfo(
            "slow",
            "Scenario: slow SMS (60 s)",
            Decimal("5.00"),
            6,
            "Your verification code is {shown}",
            sms_delay=60.0,
            price=Decimal("5.00"),
            stock=100,
        ),
        ServiceInfo(
            "multi",
            "Scenario: multi-SMS",
            Decimal("5.00"),
            6,
            "Your verification code is {shown}",
            price=Decimal("5.00"),
            stock=100,
        ),
    )
}

# International dialling code per country (hero-sms's getNumberV2 `countryPhoneCode`).
PHONE_CODES: dict[str, int] = {"0": 7, "6": 62, "12": 1, "16": 44, "22": 91, "73": 55}

# Mobile operators per country (getOperators; `operator` is accepted and ignored on a
# purchase, whose reply names it as `activationOperator`, or "any").
OPERATORS: dict[str, tuple[str, ...]] = {
    "0": ("beeline", "megafon", "mts", "tele2"),
    "6": ("indosat", "telkomsel", "xl"),
    "12": ("att", "tmobile", "verizon"),
    "16": ("ee", "o2", "three", "vodafone"),
    "22": ("airtel", "jio", "vi"),
    "73": ("claro", "tim", "vivo"),
}

# Cells deliberately out of stock (a real service can say NO_NUMBERS too).
_SOLD_OUT = frozenset({("0", "oi"), ("6", "tw"), ("73", "am")})


def price(service: ServiceInfo, country: CountryInfo) -> Decimal:
    if service.price is not None:
        return service.price
    return (service.base_price * country.factor).quantize(Decimal("0.01"))


def stock(service: ServiceInfo, country: CountryInfo) -> int:
    if service.stock is not None:
        return service.stock
    if (country.id, service.code) in _SOLD_OUT:
        return 0
    # Deterministic, varied, never zero.
    return 40 + (sum(map(ord, service.code)) * 7 + int(country.id) * 31) % 900


def new_code(length: int, rng: random.Random, *, not_: str | None = None) -> str:
    """A code of `length` digits that does not start with 0 and differs from `not_`."""
    while True:
        code = digits(rng, length)
        if code[0] != "0" and code != not_:
            return code


def sms_text(service: ServiceInfo, code: str) -> str:
    shown = code
    if service.code == "wa" and len(code) == 6 and code.isdigit():
        shown = f"{code[:3]}-{code[3:]}"
    return service.template.format(shown=shown)


def digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def new_phone(country: CountryInfo, rng: random.Random) -> str:
    """A realistic mobile number in international form without '+'."""
    if country.id == "0":  # Russia: 7 9XX XXX XX XX
        return "79" + digits(rng, 9)
    if country.id == "6":  # Indonesia: 62 8XX XXXX XXXX
        return "628" + rng.choice("123579") + digits(rng, 8)
    if country.id == "12":  # USA: 1 NXX NXX XXXX
        return (
            "1" + rng.choice("23456789") + digits(rng, 2) + rng.choice("23456789") + digits(rng, 6)
        )
    if country.id == "16":  # United Kingdom: 44 7XXX XXXXXX
        return "447" + rng.choice("456789") + digits(rng, 8)
    if country.id == "73":  # Brazil: 55 DD 9XXXX XXXX
        return "55" + rng.choice("123456789") + rng.choice("123456789") + "9" + digits(rng, 8)
    # India: 91 [6-9]XXXX XXXXX
    return "91" + rng.choice("6789") + digits(rng, 9)
