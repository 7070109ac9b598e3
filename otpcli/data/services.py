"""Well-known service codes of the sms-activate family and the names people type."""

from __future__ import annotations

SERVICES: dict[str, tuple[str, ...]] = {
    "tg": ("telegram",),
    "wa": ("whatsapp", "whats app"),
    "ig": ("instagram", "insta"),
    "fb": ("facebook", "meta"),
    "go": ("google", "gmail", "youtube"),
    "tw": ("twitter", "x"),
    "ds": ("discord",),
    "am": ("amazon",),
    "oi": ("tinder",),
    "ub": ("uber",),
    "vk": ("vkontakte", "vk.com"),
    "ok": ("odnoklassniki",),
    "mm": ("microsoft", "outlook", "hotmail"),
    "wb": ("wechat",),
    "lf": ("tiktok", "douyin"),
    "nf": ("netflix",),
    "ts": ("paypal",),
    "tn": ("linkedin",),
    "mb": ("yahoo",),
    "sn": ("snapchat",),
    "wx": ("apple",),
    "vi": ("viber",),
    "me": ("line",),
    "kt": ("kakaotalk", "kakao"),
    "pm": ("aol",),
    "bw": ("signal",),
}
