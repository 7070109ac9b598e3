"""`otp email services|buy|wait|cancel|history`: temporary e-mail addresses.

`buy` prints `EMAIL_ID ADDRESS` (with --wait: the code); `wait` prints the code alone
(the message text when it carries no code) on stdout; listing tables go to stdout, the
rest to stderr. When `wait` reaches its deadline or is interrupted, the order is
cleaned up by the same clean-up policy as SMS activations (`otpcli.services.cleanup`, within
`--cleanup-timeout`): a code that arrived in the meantime is printed (exit 0), else the
order is cancelled for a refund unless --keep, or left cancel_pending. A cancelled order: exit 8.
A provider without e-mail: exit 2, nothing sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from otpcli.cli.common import IntervalOpt, JsonOpt, ProfileOpt, TimeoutOpt, id_argument, setup
from otpcli.cli.context import email_for
from otpcli.cli.deadline import CLEANUP_DEFAULT, CleanupOpt, after_signal, clean_up, timed_out
from otpcli.cli.render import Env, Listing, WaitView, state_word, when
from otpcli.domain.errors import ExitCode, Interrupted, OtpError, WaitTimeout
from otpcli.services.cleanup import Outcome, Settled

if TYPE_CHECKING:
    from otpcli.domain.product_models import EmailStatus
    from otpcli.services.products import JournaledEmail

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Temporary e-mail addresses.")

DomainOpt = Annotated[
    str | None,
    typer.Option("--domain", help="E-mail domain, e.g. gmail.com (default: the provider's)."),
]
IdArg = Annotated[str, id_argument("E-mail order id, as printed by `otp email buy`.")]
KeepOpt = Annotated[
    bool, typer.Option("--keep", help="Do not cancel when the wait ends without a code.")
]


def _code_doc(st: EmailStatus) -> dict[str, Any]:
    return {"id": st.id, "code": st.code, "text": st.text, "state": st.state.value}


def _human(st: EmailStatus, e: Env) -> str:
    if st.code:
        return st.code
    e.warn("the e-mail carries no code otp could find; printing its text")
    return st.text or ""


def _wait(
    e: Env,
    provider: JournaledEmail,
    email_id: str,
    *,
    timeout: float | None,
    interval: float | None,
    keep: bool,
    cleanup: float = CLEANUP_DEFAULT,
    address: str | None = None,
    service: str | None = None,
) -> tuple[dict[str, Any], str]:
    from otpcli.cli.options import poll_interval
    from otpcli.services.products import wait_email
    from otpcli.services.waiting import DEFAULT_TIMEOUT

    limit = DEFAULT_TIMEOUT if timeout is None else timeout
    step = poll_interval(e, interval, [provider])
    view = WaitView(
        e,
        email_id,
        number=address,
        service=service,
        timeout=limit,
        label="e-mail order",
        number_label="address",
    )
    try:
        with view:
            st = wait_email(provider, email_id, timeout=limit, interval=step, on_poll=view.update)
        return _code_doc(st), _human(st, e)
    except WaitTimeout as exc:
        if keep:
            exc.hint = f"the address is kept (--keep); wait again: `otp email wait {email_id}`"
            raise
        e.info(f"no e-mail in time; cancelling {email_id} for a refund ...")
        settled = clean_up(
            e, provider, email_id, after_signal=False, budget=cleanup, check_capability=False
        )
        return _after(settled, exc, None)
    except (KeyboardInterrupt, Interrupted) as intr:
        settled, code = after_signal(
            e,
            provider,
            email_id,
            intr,
            keep=keep,
            what="e-mail order",
            resume=f"otp email wait {email_id}",
            budget=cleanup,
            check_capability=False,
        )
        return _after(settled, None, code)


def _after(
    settled: Settled, timeout: OtpError | None, signal_exit: ExitCode | None
) -> tuple[dict[str, Any], str]:
    """The code if one arrived during the clean-up (exit 0); else the timeout or the
    interruption, saying what the clean-up did."""
    email_id = settled.order_id
    st = settled.status
    if settled.outcome is Outcome.CODE and st is not None:
        doc = {"id": email_id, "code": st.code, "text": st.text, "state": "finished"}
        return doc, st.code or st.text or ""
    if signal_exit is not None or isinstance(settled.error, Interrupted):
        code = signal_exit or Interrupted.exit_of(settled.error or KeyboardInterrupt())
        if settled.outcome is Outcome.PENDING:
            raise Interrupted(
                f"interrupted; could not cancel e-mail order {email_id} now ({settled.message})",
                signal_exit=code,
                hint="it is marked cancel_pending; settle it later: `otp cancel --pending --wait`",
            ) from None
        raise Interrupted(f"interrupted; {settled.message}", signal_exit=code) from None
    assert timeout is not None
    raise timed_out(timeout, settled, rebuy="buy a new address: `otp email buy SERVICE`") from None


@app.command("services")
def services_cmd(
    ctx: typer.Context,
    domain: DomainOpt = None,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """List e-mail services with price and stock.

    Example: otp email services --domain gmail.com
    """
    e = setup(ctx, json_=json_, profile=profile)
    with email_for(ctx) as (provider, _settings):
        services = provider.services(domain=domain)
    e.show(
        Listing(
            {"services": [s.to_json() for s in services]},
            ["service", "name", "price", "stock"],
            [
                [
                    s.code,
                    s.name,
                    f"{s.price} {s.currency or ''}".strip() if s.price else "",
                    s.stock,
                ]
                for s in services
            ],
            empty="no e-mail services listed for that domain",
        )
    )


@app.command("buy")
def buy_cmd(
    ctx: typer.Context,
    service: Annotated[str, typer.Argument(help="Service code, e.g. ig, tg, fb.")],
    domain: DomainOpt = None,
    wait: Annotated[
        bool, typer.Option("--wait", "-w", help="Then wait for the code and print it.")
    ] = False,
    timeout: TimeoutOpt = None,
    interval: IntervalOpt = None,
    keep: KeepOpt = False,
    cleanup_timeout: CleanupOpt = CLEANUP_DEFAULT,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Buy a temporary address; prints `EMAIL_ID ADDRESS` (with --wait: the code).

    Example: read -r EID ADDR < <(otp email buy ig) && CODE=$(otp email wait "$EID")
    """
    e = setup(ctx, json_=json_, profile=profile)
    with email_for(ctx) as (provider, _settings):
        order = provider.buy(service, domain=domain)
        cost = f" for {order.price} {order.currency or ''}".rstrip() if order.price else ""
        e.info(f"bought {order.email} (id {order.id}){cost}")
        if not wait:
            e.info(f"next: otp email wait {order.id}")
            e.result(order.to_json(), f"{order.id} {order.email}")
            return
        doc, human = _wait(
            e,
            provider,
            order.id,
            timeout=timeout,
            interval=interval,
            keep=keep,
            cleanup=cleanup_timeout,
            address=order.email,
            service=order.service,
        )
    e.result({**order.to_json(), **doc}, human)


@app.command("wait")
def wait_cmd(
    ctx: typer.Context,
    email_id: IdArg,
    timeout: TimeoutOpt = None,
    interval: IntervalOpt = None,
    keep: KeepOpt = False,
    cleanup_timeout: CleanupOpt = CLEANUP_DEFAULT,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Wait for the e-mail's code and print it alone on stdout.

    Example: CODE=$(otp email wait "$EID")
    """
    e = setup(ctx, json_=json_, profile=profile)
    with email_for(ctx, email_id) as (provider, _settings):
        known = provider.find(email_id)
        doc, human = _wait(
            e,
            provider,
            email_id,
            timeout=timeout,
            interval=interval,
            keep=keep,
            cleanup=cleanup_timeout,
            address=known.number if known else None,
            service=known.service if known else None,
        )
    e.result(doc, human)


@app.command("cancel")
def cancel_cmd(
    ctx: typer.Context, email_id: IdArg, json_: JsonOpt = False, profile: ProfileOpt = None
) -> None:
    """Cancel an address for a refund (if its code already arrived: show the code).

    Example: otp email cancel "$EMAIL_ID"
    """
    e = setup(ctx, json_=json_, profile=profile)
    with email_for(ctx, email_id) as (provider, _settings):
        result = provider.cancel(email_id)
    if result.code:
        e.info(f"{result.message}; no refund")
        e.result(result.to_json(), result.code)
        return
    refund = f" ({result.refunded} refunded)" if result.refunded is not None else ""
    e.result(result.to_json(), f"{result.message}{refund}")


@app.command("history")
def history_cmd(
    ctx: typer.Context,
    page: Annotated[int, typer.Option("--page", min=1, help="Page (20 rows a page).")] = 1,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Your past e-mail purchases, as the provider lists them.

    Example: otp email history --page 2
    """
    e = setup(ctx, json_=json_, profile=profile)
    with email_for(ctx) as (provider, _settings):
        history = provider.history(page=page)
    e.show(
        Listing(
            history.to_json(),
            # The same state words as `otp orders`; the address under its own name.
            ["id", "address", "service", "state", "code", "price", "created"],
            [
                [
                    h.id,
                    h.email,
                    h.service,
                    state_word(h.status),
                    h.code,
                    f"{h.price} {h.currency or ''}".strip() if h.price is not None else "",
                    when(h.created_at),
                ]
                for h in history.entries
            ],
        )
    )
    total = f" of {history.total}" if history.total is not None else ""
    e.info(f"page {history.page}: {len(history.entries)} order(s){total}")
