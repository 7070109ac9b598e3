"""Activation commands: buy, wait, status, cancel, finish, again.

stdout carries only the result: `ID NUMBER` for buy, the code alone for wait, one line
for the others (or one JSON document with --json). Progress, hints and the live view go
to stderr. When a wait ends without a code (deadline or SIGINT/SIGTERM), the activation
is cancelled for a refund unless --keep (DESIGN §4).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

import typer

from otpcli.cli.common import (
    CountryOpt,
    IntervalOpt,
    JsonlOpt,
    JsonOpt,
    OperatorOpt,
    ProfileOpt,
    ServerOpt,
    TimeoutOpt,
    global_options,
    id_argument,
    not_with_sandbox,
    setup,
)
from otpcli.cli.context import provider_for
from otpcli.cli.deadline import CLEANUP_DEFAULT, CleanupOpt, after_signal, clean_up, timed_out
from otpcli.cli.render import Env, NoteLine, WaitView
from otpcli.domain.errors import (
    BadInput,
    ExitCode,
    Interrupted,
    NoCode,
    OrderStateError,
    OtpError,
    WaitTimeout,
)
from otpcli.services.cleanup import Outcome, Settled
from otpcli.services.names import Purchase, resolve_purchase

if TYPE_CHECKING:
    from otpcli.domain.models import Activation, StatusResult
    from otpcli.services.journaled import JournaledProvider

IdArg = Annotated[str, id_argument("Activation id, as printed by `otp buy`.")]
KeepOpt = Annotated[
    bool,
    typer.Option("--keep", help="Do not cancel the number when the wait ends without a code."),
]


def _max_price(value: str | None) -> Decimal | None:
    """`--max-price` as a Decimal, checked before anything is sent (exit 2)."""
    from otpcli.services.journaled import check_max_price

    return check_max_price(value)


def _wait(
    e: Env,
    provider: JournaledProvider,
    activation_id: str,
    *,
    timeout: float | None,
    interval: float | None,
    keep: bool,
    cleanup: float = CLEANUP_DEFAULT,
    number: str | None = None,
    service: str | None = None,
    life_left: float | None = None,
) -> StatusResult:
    """Wait for the code; on timeout or signal, clean up with the one clean-up policy unless
    `keep` (a code that arrives meanwhile is returned; the rest is refunded or left
    cancel_pending), within `cleanup` seconds.

    `life_left`: seconds the number still lives (cheap numbers); without --timeout the
    wait ends with it, since no code can arrive on an expired number."""
    from otpcli.cli.options import poll_interval
    from otpcli.services.waiting import DEFAULT_TIMEOUT, wait_for_code

    limit = DEFAULT_TIMEOUT if timeout is None else timeout
    if timeout is None and life_left is not None:
        limit = max(1.0, min(limit, life_left))
    step = poll_interval(e, interval, [provider])
    view = WaitView(
        e, activation_id, number=number, service=service, timeout=limit, life_left=life_left
    )
    try:
        with view:
            return wait_for_code(
                provider, activation_id, timeout=limit, interval=step, on_poll=view.update
            )
    except WaitTimeout as exc:
        if keep:
            exc.hint = f"the number is kept (--keep); wait again: `otp wait {activation_id}`"
            raise
        e.info(
            f"no code in time; cancelling {activation_id} for a refund "
            f"(clean-up up to {cleanup:g} s) ..."
        )
        settled = clean_up(e, provider, activation_id, after_signal=False, budget=cleanup)
        return _after_timeout(exc, settled)
    except (KeyboardInterrupt, Interrupted) as intr:
        settled, code = after_signal(
            e,
            provider,
            activation_id,
            intr,
            keep=keep,
            what="activation",
            resume=f"otp wait {activation_id}",
            budget=cleanup,
        )
        if settled.outcome is Outcome.CODE and settled.status is not None:
            return settled.status  # paid for and here: delivered, exit 0
        raise _after_signal(activation_id, settled, code) from None


def _after_timeout(exc: WaitTimeout, settled: Settled) -> StatusResult:
    """The code if one arrived during clean-up; else the timeout, saying what was done."""
    if settled.outcome is Outcome.CODE and settled.status is not None:
        return settled.status
    if isinstance(settled.error, Interrupted):
        raise Interrupted(
            f"interrupted; activation {settled.order_id} got no code and is not cancelled yet",
            signal_exit=settled.error.signal_exit,
            hint="it is marked cancel_pending; settle it later: `otp cancel --pending --wait`",
        ) from None
    raise timed_out(exc, settled, rebuy="buy a new number: `otp buy SERVICE`") from None


def _after_signal(activation_id: str, settled: Settled, code: ExitCode) -> Interrupted:
    if settled.outcome is Outcome.PENDING:
        return Interrupted(
            f"interrupted; could not cancel {activation_id} now ({settled.message})",
            signal_exit=code,
            hint="it is marked cancel_pending; settle it later: `otp cancel --pending --wait`",
        )
    return Interrupted(f"interrupted; {settled.message}", signal_exit=code)


def _code_doc(status: StatusResult) -> dict[str, Any]:
    return {"id": status.id, "code": status.code, "text": status.text}


def print_code(e: Env, doc: dict[str, Any], status: StatusResult) -> None:
    """The code on stdout (its JSON document with --json). A message in which no code
    could be found is printed whole instead, and the exit code says so (10)."""
    if status.code or not status.text:
        e.result(doc, status.code or "")
        return
    if not e.json:
        e.out(status.text)
    err = NoCode(
        f"a message arrived for activation {status.id}, but otp found no code in it; "
        "its full text is on stdout",
        hint=f"read the code from the text; then `otp finish {status.id}`",
    )
    err.details = {k: v for k, v in doc.items() if k not in ("error", "message", "exit_code")}
    raise err


def buy_cmd(
    ctx: typer.Context,
    service: Annotated[str, typer.Argument(help="Service code, e.g. tg or wa.")],
    country: CountryOpt = None,
    operator: OperatorOpt = None,
    server: ServerOpt = None,
    max_price: Annotated[
        str | None, typer.Option("--max-price", help="Refuse to pay more than this.")
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", "-w", help="Then wait for the code and print it.")
    ] = False,
    timeout: TimeoutOpt = None,
    interval: IntervalOpt = None,
    keep: KeepOpt = False,
    cleanup_timeout: CleanupOpt = CLEANUP_DEFAULT,
    count: Annotated[
        int,
        typer.Option("--count", "-n", min=1, max=100, help="Buy this many (each one journaled)."),
    ] = 1,
    cheapest: Annotated[
        bool,
        typer.Option("--cheapest", help="Buy from the configured profile with the lowest price."),
    ] = False,
    json_: JsonOpt = False,
    jsonl: JsonlOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Buy one activation; prints `ID NUMBER` (with --wait: the code).

    With -n and --json: one document, {"results": [...]}; --jsonl: a line per result.
    Example: read -r ID NUMBER < <(otp buy wa -c 22)
    """
    e = setup(ctx, json_=json_ or jsonl, profile=profile)
    if cheapest:
        service, country, server = _cheapest_offer(ctx, e, service, country, server)
    order = Purchase(service, country, operator, server, _max_price(max_price))
    plan = _WaitPlan(wait, timeout, interval, keep, cleanup_timeout)
    if count > 1:
        _buy_many(ctx, e, order, plan, count=count, stream=jsonl)
        return
    with provider_for(ctx) as (provider, settings):
        act = provider.buy_resolved(resolve_purchase(provider, settings, order))
        cost = f" for {act.price} {act.currency or ''}".rstrip() if act.price is not None else ""
        e.info(f"bought {act.service} number {act.number} (id {act.id}){cost}")
        deliver(
            e,
            provider,
            act,
            wait=plan.wait,
            timeout=plan.timeout,
            interval=plan.interval,
            keep=plan.keep,
            cleanup=plan.cleanup,
            service=act.service,
        )


class _WaitPlan(NamedTuple):
    """Whether and how to wait after buying, and the clean-up bound."""

    wait: bool
    timeout: float | None
    interval: float | None
    keep: bool
    cleanup: float


def _cheapest_offer(
    ctx: typer.Context, e: Env, service: str, country: str | None, server: str | None
) -> tuple[str, str | None, str | None]:
    """--cheapest: the profile with the lowest price becomes this run's profile; the
    offer's own service, country and server are bought."""
    not_with_sandbox(ctx, "--cheapest", f"otp --sandbox buy {service}")
    from otpcli.services.compare import cheapest as pick_cheapest
    from otpcli.services.compare import compare

    comparison = compare(service, country=country, server=server)
    for name, err in comparison.errors.items():
        e.warn(f"profile {name} not compared: {err.message}")
    offer = pick_cheapest(comparison)
    e.info(
        f"cheapest: profile {offer.profile} ({offer.provider}) at "
        f"{offer.entry.price} {offer.entry.currency or ''}".rstrip()
    )
    global_options(ctx).profile = offer.profile
    return offer.entry.service, offer.entry.country or country, offer.entry.server or server


def deliver(
    e: Env,
    provider: JournaledProvider,
    act: Activation,
    *,
    wait: bool,
    timeout: float | None,
    interval: float | None,
    keep: bool,
    service: str,
    cleanup: float = CLEANUP_DEFAULT,
    life_left: float | None = None,
) -> None:
    """After a purchase: `ID NUMBER` on stdout, or with --wait the code (its JSON
    document carries the purchase too). `buy` and `cheap buy` end here."""
    if not wait:
        e.info(f"next: otp wait {act.id}")
        e.result(act.to_json(), f"{act.id} {act.number}")
        return
    status = _wait(
        e,
        provider,
        act.id,
        timeout=timeout,
        interval=interval,
        keep=keep,
        cleanup=cleanup,
        number=act.number,
        service=service,
        life_left=life_left,
    )
    print_code(e, {**act.to_json(), **_code_doc(status)}, status)


def _buy_many(
    ctx: typer.Context,
    e: Env,
    order: Purchase,
    plan: _WaitPlan,
    *,
    count: int,
    stream: bool = False,
) -> None:
    """Buy `count` activations one after the other (never in parallel, never retried);
    with --wait, wait for all at once. A failed purchase stops further buying, but the
    ones already bought are still printed and (with --wait) waited for and cleaned up.
    JSON: one document for all (cli/many.py's `collected`), or a line each with --jsonl."""
    from otpcli.cli.many import collected, wait_many

    base: dict[str, dict[str, Any]] = {}  # with --wait, each code item carries its purchase
    with collected(e, stream=stream, base=base) as sink, provider_for(ctx) as (provider, settings):
        resolved = resolve_purchase(provider, settings, order)
        bought, failure = _buy_each(e, provider, resolved, plan, count, sink, base)
        if failure is not None:
            e.info(f"bought {len(bought)} of {count}; stopped: {failure.message}")
        if plan.wait and bought:
            wait_many(
                e,
                [(provider, a.id) for a in bought],
                timeout=plan.timeout,
                interval=plan.interval,
                keep=plan.keep,
                cleanup=plan.cleanup,
                sink=sink,
            )
        if failure is not None:
            raise failure


def _buy_each(
    e: Env,
    provider: JournaledProvider,
    order: Purchase,
    plan: _WaitPlan,
    count: int,
    sink: Any,
    base: dict[str, dict[str, Any]],
) -> tuple[list[Activation], OtpError | None]:
    """The purchases of `otp buy -n`: what was bought, and the failure that stopped it.
    A signal while buying cleans up what this run bought (with --wait, as after a wait)."""
    from otpcli.cli.many import clean_up_after_signal

    bought: list[Activation] = []
    for _ in range(count):
        try:
            act = provider.buy_resolved(order)
        except (KeyboardInterrupt, Interrupted) as intr:
            if not plan.wait:
                # The numbers bought so far are the user's (as after `otp buy`): the error
                # carries them, so --json's one document still names each paid number.
                raise Interrupted(
                    f"interrupted after buying {len(bought)} of {count}",
                    signal_exit=Interrupted.exit_of(intr),
                    hint="the numbers bought are listed; `otp orders --active` shows them",
                ) from None
            left = [(provider, a.id) for a in bought]
            raise clean_up_after_signal(
                e, left, Interrupted.exit_of(intr), keep=plan.keep, budget=plan.cleanup, sink=sink
            ) from None
        except OtpError as err:
            return bought, err
        bought.append(act)
        if plan.wait:
            base[act.id] = act.to_json()
            e.info(f"bought {act.service} number {act.number} (id {act.id})")
        elif e.json:
            sink.add(act.to_json())
        else:
            e.out(f"{act.id} {act.number}")
    return bought, None


def wait_cmd(
    ctx: typer.Context,
    activation_ids: Annotated[list[str], id_argument("Activation id(s), as printed by `otp buy`.")],
    timeout: TimeoutOpt = None,
    interval: IntervalOpt = None,
    keep: KeepOpt = False,
    cleanup_timeout: CleanupOpt = CLEANUP_DEFAULT,
    json_: JsonOpt = False,
    jsonl: JsonlOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Wait for the code and print it alone on stdout (several ids: `ID CODE` lines).

    Several ids with --json: one document, {"results": [...]}; --jsonl: a line per code.
    Example: CODE=$(otp wait "$ID")
    """
    e = setup(ctx, json_=json_ or jsonl, profile=profile)
    if len(activation_ids) > 1:
        from otpcli.cli.many import collected, providers_for, wait_many

        with (
            collected(e, stream=jsonl) as sink,
            providers_for(ctx, list(dict.fromkeys(activation_ids))) as targets,
        ):
            wait_many(
                e,
                targets,
                timeout=timeout,
                interval=interval,
                keep=keep,
                cleanup=cleanup_timeout,
                sink=sink,
            )
        return
    activation_id = activation_ids[0]
    with provider_for(ctx, activation_id) as (provider, _settings):
        known = provider.journal.find(activation_id, provider=provider.name)
        status = _wait(
            e,
            provider,
            activation_id,
            timeout=timeout,
            interval=interval,
            keep=keep,
            cleanup=cleanup_timeout,
            number=known.number if known else None,
            service=known.service if known else None,
            life_left=_life_left(known),
        )
    print_code(e, _code_doc(status), status)


def _life_left(known: Any) -> float | None:
    """Seconds a journaled order's number still lives (cheap numbers know their expiry)."""
    if known is None or known.expires_at is None or known.kind != "cheap":
        return None
    import time

    return known.expires_at - time.time()


def status_cmd(
    ctx: typer.Context, activation_id: IdArg, json_: JsonOpt = False, profile: ProfileOpt = None
) -> None:
    """One look at an activation: `STATE [CODE]`.

    Example: otp status "$ID" --json | jq -r .state
    """
    from otpcli.cli.quick import show_status

    setup(ctx, json_=json_, profile=profile)
    show_status(global_options(ctx), activation_id)


def cancel_cmd(
    ctx: typer.Context,
    activation_id: Annotated[str | None, id_argument("Activation id; omit with --pending.")] = None,
    pending: Annotated[
        bool,
        typer.Option("--pending", help="Cancel every journal order left marked cancel_pending."),
    ] = False,
    wait: Annotated[
        bool,
        typer.Option("--wait", help="With --pending: wait out early-cancel windows and retry."),
    ] = False,
    all_runners: Annotated[
        bool,
        typer.Option(
            "--all-runners",
            help="With --pending and a shared journal: also settle orders of other runners "
            "whose process has not been seen for a lease (OTPCLI_RUNNER_LEASE, 120 s).",
        ),
    ] = False,
    cleanup_timeout: CleanupOpt = CLEANUP_DEFAULT,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Cancel an activation that got no code, for a refund.

    Example: otp cancel --pending --wait   (settle what an interrupted wait left behind)
    """
    e = setup(ctx, json_=json_, profile=profile)
    if all_runners and not pending:
        raise BadInput("--all-runners goes with --pending: `otp cancel --pending --all-runners`")
    if pending:
        if activation_id:
            raise BadInput("give an activation id or --pending, not both")
        _cancel_pending(ctx, e, wait=wait, cleanup=cleanup_timeout, all_runners=all_runners)
        return
    if not activation_id:
        raise BadInput("which activation? `otp cancel ID` (or `otp cancel --pending`)")
    with provider_for(ctx, activation_id) as (provider, _settings):
        result = provider.cancel(activation_id)
    e.result(result.to_json(), result.message)


def _settled_doc(settled: Settled) -> dict[str, Any]:
    if settled.outcome is Outcome.CODE and settled.status is not None:
        return {**_code_doc(settled.status), "state": "code_received"}
    if settled.result is not None:
        doc: dict[str, Any] = settled.result.to_json()
        return doc
    state = settled.status.state.value if settled.status else settled.outcome.value
    return {"id": settled.order_id, "state": state, "message": settled.message}


def _cancel_pending(
    ctx: typer.Context, e: Env, *, wait: bool, cleanup: float, all_runners: bool = False
) -> None:
    """Settle the leftovers with services/pending.py; say each outcome as it comes. With
    `all_runners`, orphans of other runners whose lease expired too (a shared journal)."""
    from otpcli.cli.context import email_for
    from otpcli.services.journal import EMAIL
    from otpcli.services.pending import settle_pending
    from otpcli.services.session import open_journal, quiet_leftovers

    quiet_leftovers()  # this command settles them

    def open_order(row: Any) -> Any:
        opener = email_for if row.kind == EMAIL else provider_for
        return opener(ctx, row.order_id)

    def said(row: Any, settled: Settled) -> None:
        if settled.outcome is Outcome.PENDING:
            e.info(f"{row.order_id}: {(settled.error or settled).message}")
        elif settled.outcome is Outcome.CODE and settled.status is not None:
            st = settled.status
            e.info(f"{row.order_id}: a code arrived; it is yours (no refund)")
            if not e.json:
                e.out(f"{st.id} {st.code or st.text or ''}")
        else:
            e.info(settled.message)

    journal = open_journal()
    try:
        # Orphans first (orders whose otp process died: codes shown, the rest refunded).
        report = settle_pending(
            journal,
            open_order,
            wait=wait,
            budget=cleanup,
            report=e.info,
            on_code=lambda s: None if e.json else e.out(f"{s.order_id} {s.code}"),
            on_note=NoteLine(e),
            on_orphan_note=lambda oid, what: e.info(f"  {oid}: {what}"),
            on_row=said,
            all_runners=all_runners,
        )
    finally:
        journal.close()
    results: list[dict[str, Any]] = [o.to_json() for o in report.orphans]
    for row, settled in report.rows:
        if settled.outcome is Outcome.PENDING:
            failure = settled.error or OrderStateError(settled.message)
            results.append({"id": row.order_id, "error": failure.code, "message": failure.message})
        else:
            results.append(_settled_doc(settled))
    rows = [row for row, _ in report.rows]
    _report_pending(e, rows, len(report.orphans), results, report.failures, report.codes)


def _report_pending(
    e: Env,
    rows: list[Any],
    orphaned: int,
    results: list[dict[str, Any]],
    failures: list[OtpError],
    codes: int,
) -> None:
    if failures:
        # An error has one output: the error (its JSON document carries what did settle).
        first = failures[0]
        summary = first.with_message(
            f"{len(failures)} of {len(rows) + orphaned} pending order(s) could not be "
            f"cancelled yet: "
            f"{first.message}",
            hint="try again later, or `otp cancel --pending --wait`",
        )
        summary.details = {"settled": results}
        raise summary
    if e.json:
        e.json_doc({"settled": results})
    elif not rows and not orphaned:
        e.info("no orders are waiting to be cancelled")
    elif codes:
        e.info(f"{len(rows)} pending order(s) settled: {codes} with a code (shown above)")
    elif rows:
        e.out(f"{len(rows)} of {len(rows)} pending orders cancelled")


def finish_cmd(
    ctx: typer.Context, activation_id: IdArg, json_: JsonOpt = False, profile: ProfileOpt = None
) -> None:
    """Mark an activation as used (after its code arrived).

    Example: otp finish "$ID"
    """
    e = setup(ctx, json_=json_, profile=profile)
    with provider_for(ctx, activation_id) as (provider, _settings):
        result = provider.finish(activation_id)
    e.result(result.to_json(), result.message)


def again_cmd(
    ctx: typer.Context,
    activation_id: IdArg,
    reget: Annotated[
        bool,
        typer.Option(
            "--reget",
            help="Buy a new activation on the same number (costs money; where offered).",
        ),
    ] = False,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Ask for another SMS on the same number, then `otp wait ID` again.

    Example: otp again "$ID" && otp wait "$ID"
    """
    e = setup(ctx, json_=json_, profile=profile)
    with provider_for(ctx, activation_id) as (provider, _settings):
        result = provider.reget(activation_id) if reget else provider.another(activation_id)
    new = result.new_activation
    if new is not None:
        e.info(f"new activation {new.id} on {new.number}; next: otp wait {new.id}")
        e.result(result.to_json(), f"{new.id} {new.number}")
        return
    e.info(f"next: otp wait {activation_id}")
    e.result(result.to_json(), result.message)


# Registered lazily by name in otpcli.cli.app (only the command run is imported).
app = typer.Typer(add_completion=False)
app.command("buy")(buy_cmd)
app.command("wait")(wait_cmd)
app.command("status")(status_cmd)
app.command("cancel")(cancel_cmd)
app.command("finish")(finish_cmd)
app.command("again")(again_cmd)
