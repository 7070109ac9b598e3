"""Type-level proof that every driver satisfies its product's contract.

Contract: this module is never imported at run time (its body is only seen by mypy, which
`.ci/run` runs on the whole package). Each assignment below makes mypy check a driver
class structurally against `domain.provider`'s protocols, so a driver that drifts from
the contract (a missing method, a changed signature) fails the type check, not a user.
A new driver is added here with its registry entry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from otpcli.domain.provider import CheapProvider, EmailProvider, Provider, RentalProvider
    from otpcli.providers.base import ProtocolDriver
    from otpcli.providers.hosts import GrizzlySmsDriver, HeroSmsDriver, SmsHubDriver
    from otpcli.providers.instaotp import InstaOtpDriver
    from otpcli.providers.otpget import OtpGetDriver
    from otpcli.providers.otpget_cheap import OtpGetCheapDriver
    from otpcli.providers.otpget_email import OtpGetEmailDriver
    from otpcli.providers.otpget_rental import OtpGetRentalDriver
    from otpcli.providers.otpx import OtpxDriver
    from otpcli.providers.sastaotp import SastaOtpDriver
    from otpcli.providers.smsactivate import SmsActivateDriver

    # One line per driver: mypy reports the exact member that does not match.
    _protocol: type[Provider] = ProtocolDriver
    _smsactivate: type[Provider] = SmsActivateDriver
    _otpx: type[Provider] = OtpxDriver
    _otpget: type[Provider] = OtpGetDriver
    _instaotp: type[Provider] = InstaOtpDriver
    _sastaotp: type[Provider] = SastaOtpDriver
    _herosms: type[Provider] = HeroSmsDriver
    _grizzlysms: type[Provider] = GrizzlySmsDriver
    _smshub: type[Provider] = SmsHubDriver
    _otpget_cheap: type[CheapProvider] = OtpGetCheapDriver
    _otpget_rental: type[RentalProvider] = OtpGetRentalDriver
    _otpget_email: type[EmailProvider] = OtpGetEmailDriver
