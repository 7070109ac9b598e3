"""The built-in simulator: a real HTTP server on loopback speaking the sms-activate protocol.

It sells play money numbers (currency `PLAY`, wallet 1000.00 at the start and after
`otp sandbox reset`) so that people, scripts and CI jobs can try every path of `otp`
without an account. `otp --sandbox ...` starts it in-process on demand; `otp sandbox serve`
runs it standalone for other tools at `http://127.0.0.1:PORT/stubs` (the handler is
`/stubs/handler_api.php`).

Modules (importing this package stays cheap: it loads `catalog` alone; sqlite3 and
http.server come with `state`, `server`, `handler` and `faults`):
- `catalog`: countries, services, prices, stock, SMS texts and the scenario table;
- `state`:   `SandboxState`, the wallet/orders/SMS in `<state_dir>/sandbox.sqlite3` and the
             rules (early-cancel window, expiry, refunds, another SMS);
- `server`:  `start_background()` / `serve()`, the HTTP front end;
- `handler`: the `handler_api.php` actions, answered in one dialect;
- `dialects`: how each host family (sms-activate, hero-sms, grizzlysms, smshub) words
             the simulator's replies, on top of `otpcli.providers.dialects`;
- `faults`:  faults on request (HTTP 500, HTML error page, hang, reset, empty, garbage,
             "charged, then the connection dropped"), planned per state dir.

Special service codes (buy them in any country to meet a situation; `SCENARIOS` holds
this table for the CLI and the README):

| service    | what happens                                                              |
|------------|---------------------------------------------------------------------------|
| `nonum`    | getNumber answers `NO_NUMBERS` (stock 0)                                  |
| `nobal`    | getNumber answers `NO_BALANCE` (price 1000000.00, above any wallet)       |
| `never`    | the SMS never arrives (expires after the lifetime, 20 min; refunded)     |
| `slow`     | the SMS arrives after 60 s of sandbox time (not the SMS delay)           |
| `multi`    | after setStatus=3 a second SMS with a new code arrives (any service can)  |
| key `bad*` | an API key starting with `bad` gets `BAD_KEY` for every action            |

Any other key, or none at all, is accepted.

Environment variables (read when a `SandboxState` is created; a bad value is a
configuration error, exit 3):

- `OTPCLI_SANDBOX_TIME_SCALE` (default `1`): sandbox seconds per real second. At 60 the
  2-minute early-cancel window lasts 2 real seconds, the 3 s SMS delay 0.05 s and the
  20-minute expiry 20 s. Deadlines are fixed when they are set (at purchase, at
  setStatus=3), so processes sharing a state dir should use the same scale.
- `OTPCLI_SANDBOX_SMS_DELAY` (default `3`, may be 0): sandbox seconds from purchase (or
  from setStatus=3) to the SMS for ordinary services; `slow` and `never` ignore it.
- `OTPCLI_SANDBOX_EARLY_CANCEL` (default `120`, may be 0): sandbox seconds after purchase
  during which a cancel is refused (`EARLY_CANCEL_DENIED`).
- `OTPCLI_SANDBOX_LIFETIME` (default `1200`): sandbox seconds from purchase to expiry.
  The three durations are separate so that a cancel and a wait can both be tested at any
  scale: e.g. an SMS delay above the early-cancel window leaves time to cancel before
  the code comes. `otp sandbox serve` has an option for each (`--time-scale`,
  `--sms-delay`, `--early-cancel`, `--lifetime`).
- `OTPCLI_SANDBOX_DIALECT` (default none): answer as a host family does (`smsactivate`,
  `herosms`, `grizzlysms`, `smshub`; `otpcli.sandbox.dialects`); `otp sandbox serve
  --dialect` overrides it. Read when a server starts; an unknown name is exit 3.

- `OTPCLI_SANDBOX_FAULTS` (default none): faults to inject, e.g.
  `getNumber=reset_after_charge,getStatus=500x2` (`ACTION=KIND[xN]`; see
  `otpcli.sandbox.faults`). Read when a server starts; the plan and its counts are kept
  in the state dir and shared by every server on it.

State lives in `OTPCLI_STATE_DIR` (see `otpcli.services.config.state_dir`).
"""

from __future__ import annotations

from otpcli.sandbox.catalog import CURRENCY, SCENARIOS, START_BALANCE, Scenario

__all__ = ["CURRENCY", "SCENARIOS", "START_BALANCE", "Scenario"]
