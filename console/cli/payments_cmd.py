"""`lcn payouts …` (node operators' money out) and `lcn payments …` (money in, refunds,
reconciliation, status, the local Stripe stand-in).

`register(app)` adds both groups to the root CLI. Operator actions go through
core.payments.actions, so each is audited; with payments off they say so and exit 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from console.cli.common import Context, emit_json, fail, full_id, run, table
from core.actions import who
from core.errors import InvalidInput
from core.money import format_usd, usd_to_micro
from core.payments import catalog, mode, records
from core.payments.amounts import ALL, RefundAmount, parse_refund_usd
from core.payments.summary import earnings_summary
from core.store import Store

if TYPE_CHECKING:  # the Stripe library loads only for the commands that talk to Stripe
    from core.payments.client import Payments
    from core.payments.purchases import Checkout

T = TypeVar("T")

payouts_app = typer.Typer(
    help="Payouts to node operators through Stripe Connect.", no_args_is_help=True
)
payments_app = typer.Typer(
    help="Payments: credit, sales, refunds, reconciliation, status.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add `lcn payouts` and `lcn payments` to the CLI."""
    app.add_typer(payouts_app, name="payouts")
    app.add_typer(payments_app, name="payments")


def _with_payments(work: Callable[[Store, Payments | None], Awaitable[T]]) -> T:
    """Run `work` with the store and the Stripe client (None when payments are off)."""
    from core.payments.client import with_payments

    settings = Context.settings()
    return run(lambda store: with_payments(settings, store, work), settings)


def _usd(text: str, what: str) -> int:
    try:
        micro = usd_to_micro(text.removeprefix("$"))
    except ValueError:
        fail(f"{what} must be an amount in USD, like 12.50.")
    if micro < 0:
        fail(f"{what} cannot be negative.")
    return micro


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def _off_note() -> None:
    if not mode.enabled(Context.settings()):
        typer.echo(f"note: {mode.OFF_MESSAGE}", err=True)


# -- lcn payouts ------------------------------------------------------------------------------


@payouts_app.command("list")
def payouts_list(
    status: str | None = typer.Option(None, "--status", help="pending, sent, paid or failed."),
    node: str | None = typer.Option(None, "--node", help="Only this node's payouts."),
    limit: int = typer.Option(50, "--limit", min=1, max=1000),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Payouts, newest first."""
    _off_note()

    async def work(store: Store) -> list[records.Payout]:
        whole = None if node is None else await full_id(store, node, "node")
        return await records.list_payouts(store, status=status, node_id=whole, limit=limit)

    found = run(work)
    if json_out:
        emit_json(found)
        return
    rows = [
        [
            p.payout_id,
            p.node_id[:20] + "…",
            format_usd(p.amount_micro_usd),
            p.status + (" (archived)" if p.archived else ""),
            str(p.attempts),
            p.transfer_id or "-",
            _when(p.created_at),
            (p.error or "")[:60],
        ]
        for p in found
    ]
    table(rows, ["id", "node", "amount", "status", "tries", "transfer", "created", "error"])


def _show_payouts(found: list[records.Payout], json_out: bool) -> None:
    if json_out:
        emit_json(found)
    elif not found:
        typer.echo("nothing to pay out (no onboarded node has a whole cent available)")
    else:
        for p in found:
            typer.echo(str(p))
    if any(p.status == "failed" for p in found):
        raise typer.Exit(1)


@payouts_app.command("run")
def payouts_run(
    node: str | None = typer.Argument(
        None, help="One node, its id or a unique tail (default: every onboarded node)."
    ),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Pay out available earnings now: whole cents, sent as Stripe Transfers."""
    from core.payments import actions

    operator = who()

    async def work(store: Store, payments: Payments | None) -> list[records.Payout]:
        whole = None if node is None else await full_id(store, node, "node")
        return (await actions.pay_out_node(store, payments, operator, whole)).payouts

    _show_payouts(_with_payments(work), json_out)


@payouts_app.command("retry")
def payouts_retry(
    payout_id: str = typer.Argument(..., help="The payout's id (po_…)."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Send a pending payout now, or a failed one again."""
    from core.payments import actions

    operator = who()

    async def work(store: Store, payments: Payments | None) -> list[records.Payout]:
        return [await actions.retry_payout(store, payments, operator, payout_id)]

    _show_payouts(_with_payments(work), json_out)


@payouts_app.command("onboard")
def payouts_onboard(
    node: str = typer.Argument(..., help="The node's id, or a unique tail of it."),
    email: str | None = typer.Option(None, "--email", help="The operator's email for Stripe."),
    country: str = typer.Option("US", "--country", help="Two-letter country of the account."),
    return_url: str | None = typer.Option(
        None, "--return-url", help="Where Stripe sends the operator after onboarding."
    ),
    refresh_url: str | None = typer.Option(
        None, "--refresh-url", help="Where Stripe sends the operator if the link expired."
    ),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Create the node's Stripe Connect (Express) account and print its onboarding link."""
    from core.payments import actions

    operator = who()

    async def work(store: Store, payments: Payments | None) -> Any:
        return await actions.onboard_node(
            store,
            payments,
            operator,
            await full_id(store, node, "node"),
            return_url=return_url,
            refresh_url=refresh_url,
            country=country,
            email=email,
        )

    result = _with_payments(work)
    if json_out:
        emit_json(result)
    else:
        made = "created" if result.created_account else "existing"
        typer.echo(f"{made} Stripe account {result.account_id} for node {node}")
        typer.echo(f"onboarding link (single use): {result.url}")


# -- lcn payments -----------------------------------------------------------------------------


@payments_app.command("status")
def payments_status(json_out: bool = typer.Option(False, "--json")) -> None:
    """Payments on or off, Stripe's reachability and balance, and the revenue summary."""
    settings = Context.settings()

    from core.payments.client import call

    async def work(store: Store, payments: Payments | None) -> dict[str, Any]:
        summary = await earnings_summary(store, payments_enabled=payments is not None)
        report: dict[str, Any] = {
            "paymentsEnabled": payments is not None,
            "apiBase": payments.api_base if payments else None,
            "mode": ("test" if payments.test_mode else "live") if payments else None,
            "webhookSecret": bool(settings.stripe_webhook_secret),
            "publicKey": bool(settings.stripe_public_key),
            "stripe": None,
            "summary": summary.wire(),
        }
        if payments is not None:
            try:
                balance = await call(payments.stripe.v1.balance.retrieve_async())
                available = sum(int(b["amount"]) for b in balance.get("available", []))
                report["stripe"] = {"reachable": True, "availableCents": available}
            except Exception as exc:  # status reports, it does not fail
                report["stripe"] = {"reachable": False, "error": str(exc)}
        return report

    report = _with_payments(work)
    if json_out:
        emit_json(report)
        return
    s = report["summary"]
    if not report["paymentsEnabled"]:
        typer.echo(f"payments off — {mode.OFF_MESSAGE}")
    else:
        stripe_state = report["stripe"] or {}
        reach = (
            f"reachable, {format_usd(int(stripe_state['availableCents']) * 10_000)} available"
            if stripe_state.get("reachable")
            else f"unreachable: {stripe_state.get('error')}"
        )
        typer.echo(f"payments on ({report['mode']} mode) via {report['apiBase']}: Stripe {reach}")
        if not report["webhookSecret"]:
            typer.echo("warning: STRIPE_WEBHOOK_SECRET is not set; credit cannot land")
    p = s["payouts"]
    lines = [
        ("gross volume (credit + sales)", s["grossVolumeMicroUsd"]),
        ("  credit sold", s["creditsSoldMicroUsd"]),
        ("  sales", s["salesMicroUsd"]),
        ("refunds", s["refundsMicroUsd"]),
        ("billed for jobs", s["billedMicroUsd"]),
        ("platform fees (30%)", s["platformFeesMicroUsd"]),
        ("node earnings (70%)", s["nodeEarningsMicroUsd"]),
        ("  not yet paid out", s["unpaidEarningsMicroUsd"]),
        ("payouts in flight", p["inFlightMicroUsd"]),
        ("payouts paid", p["paidMicroUsd"]),
    ]
    for label, micro in lines:
        typer.echo(f"{label:<32}{format_usd(int(micro)):>16}")
    typer.echo(
        f"payouts: {p['pending']} pending, {p['sent']} sent, {p['paid']} paid, "
        f"{p['failed']} failed; {s['openPurchases']} open purchases"
    )


@payments_app.command("reconcile")
def payments_reconcile(
    since_days: int = typer.Option(90, "--since-days", min=1, max=3650),
    other_cents: int | None = typer.Option(
        None,
        "--other-cents",
        min=0,
        max=2**53 // 10_000,
        help="Cents on the Stripe account that are not this pool's: Stripe's balance must then "
        "equal our books' cash plus these (unset: it must at least cover our books' cash).",
    ),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Compare our books with Stripe's; list every mismatch, exit 1 if any.

    Our ledger, payouts, purchases and refunds against Stripe's transfers, charges and refunds;
    the cash our books hold at Stripe against Stripe's balance; the world account never above 0.
    """
    import time

    from core.payments.reconcile import reconcile

    since = int(time.time()) - since_days * 86400
    report = _with_payments(
        lambda store, payments: reconcile(store, payments, since=since, other_cents=other_cents)
    )
    if json_out:
        emit_json(report)
    else:
        typer.echo(
            f"compared {report.payouts} payouts, {report.purchases} purchases, "
            f"{report.refunds} refunds with {report.transfers} transfers, {report.charges} "
            f"charges, {report.stripe_refunds} refunds at Stripe"
        )
        typer.echo(
            f"Stripe balance {format_usd(report.stripe_balance_cents * 10_000)}, our books' "
            f"cash there {format_usd(report.ledger_cash_cents * 10_000)}"
        )
        for m in report.mismatches:
            typer.echo(f"MISMATCH {m.kind}: {m.detail}")
        if report.ok:
            typer.echo("no mismatches")
    if not report.ok:
        raise typer.Exit(1)


@payments_app.command("buy")
def payments_buy(
    creator: str = typer.Argument(..., help="The creator's 0x address."),
    amount: str = typer.Argument(..., help="USD of compute credit, e.g. 25."),
    payment_method: str | None = typer.Option(
        None, "--payment-method", help="Charge at once (a PaymentIntent), e.g. pm_card_visa."
    ),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Buy prepaid compute credit: prints the Checkout page to pay at.

    The credit lands when Stripe's signed webhook confirms the payment.
    """
    from core.payments import purchases

    micro = _usd(amount, "The amount")

    async def work(store: Store, payments: Payments | None) -> Checkout:
        if payment_method:
            return await purchases.buy_credit_intent(
                store, payments, creator, micro, payment_method=payment_method
            )
        return await purchases.buy_credit(store, payments, creator, micro)

    _show_checkout(_with_payments(work), json_out)


@payments_app.command("sell")
def payments_sell(
    sku: str = typer.Argument(..., help="A catalog item (lcn payments catalog)."),
    buyer: str = typer.Argument(..., help="The buyer's 0x address."),
    ref: str | None = typer.Option(None, "--ref", help="Which asset or job the item is for."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Sell a catalog item: prints the Checkout page to pay at.

    The item is handed over, once, when the payment is confirmed. A PKP sale prints the
    keystore password once.
    """
    from core.payments import purchases

    async def work(store: Store, payments: Payments | None) -> Checkout:
        return await purchases.buy_item(store, payments, sku, buyer, ref=ref)

    _show_checkout(_with_payments(work), json_out)


def _show_checkout(checkout: Checkout, json_out: bool) -> None:
    if json_out:
        emit_json(checkout)
        return
    typer.echo(
        f"purchase {checkout.purchase_id}: {checkout.sku} "
        f"{format_usd(checkout.amount_micro_usd)} ({checkout.status})"
    )
    if checkout.checkout_url:
        typer.echo(f"pay at: {checkout.checkout_url}")
    if checkout.payment_intent:
        typer.echo(f"payment intent: {checkout.payment_intent}")
    if checkout.keystore_password:
        typer.echo(f"keystore password (shown once, keep it): {checkout.keystore_password}")


@payments_app.command("purchases")
def payments_purchases(
    status: str | None = typer.Option(None, "--status"),
    limit: int = typer.Option(50, "--limit", min=1, max=1000),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Purchases (credit and sales), newest first."""
    found = run(lambda s: records.list_purchases(s, status=status, limit=limit))
    if json_out:
        emit_json(found)
        return
    rows = [
        [
            p.purchase_id,
            p.sku,
            p.buyer,
            format_usd(p.amount_micro_usd),
            p.status
            + (" +fulfilled" if p.fulfilment == "done" else "")
            + (" (archived)" if p.archived else ""),
            format_usd(p.refunded_micro_usd) if p.refunded_micro_usd else "-",
            _when(p.created_at),
        ]
        for p in found
    ]
    table(rows, ["id", "sku", "buyer", "amount", "status", "refunded", "created"])


@payments_app.command("refund")
def payments_refund(
    purchase_id: str = typer.Argument(..., help="The purchase's id (pu_…)."),
    amount: str | None = typer.Option(
        None, "--amount", help="USD in whole cents, above 0 and at most what is left."
    ),
    refund_all: bool = typer.Option(False, "--all", help="Refund all that is left."),
    reason: str = typer.Option("", "--reason"),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Refund a purchase through Stripe (--amount USD or --all); the ledger follows."""
    from core.payments import actions

    if (amount is None) == (not refund_all):
        fail("Give either --amount USD or --all, not both or neither.")
    micro: RefundAmount = ALL
    if amount is not None:
        try:
            micro = parse_refund_usd(amount)
        except InvalidInput as exc:
            fail(str(exc))
    operator = who()

    async def work(store: Store, payments: Payments | None) -> records.Refund:
        return await actions.refund_purchase(store, payments, operator, purchase_id, micro, reason)

    refund = _with_payments(work)
    if json_out:
        emit_json(refund)
    else:
        typer.echo(str(refund))
    if refund.status == "failed":
        raise typer.Exit(1)


@payments_app.command("catalog")
def payments_catalog(json_out: bool = typer.Option(False, "--json")) -> None:
    """What the network sells besides credit."""
    entries = catalog.entries()
    if json_out:
        emit_json(entries)
        return
    rows = [
        [e.sku, format_usd(e.price_micro_usd), e.name, "yes" if e.needs_ref else "no"]
        for e in entries
    ]
    table(rows, ["sku", "price", "name", "needs --ref"])


@payments_app.command("delivery")
def payments_delivery(
    purchase_id: str = typer.Argument(..., help="A fulfilled sale (pu_…)."),
) -> None:
    """What a fulfilled sale handed over (a PKP sale: address, public key, keystore)."""
    purchase = run(lambda s: records.get_purchase(s, purchase_id))
    if purchase.delivery is None:
        fail(f"Purchase {purchase_id} is {purchase.status} and has handed nothing over yet.")
    typer.echo(json.dumps(purchase.delivery, indent=2))


@payments_app.command("standin")
def payments_standin(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(12111, "--port", min=0, max=65535),
    webhook_url: str = typer.Option(
        "http://127.0.0.1:8080/stripe/webhook", "--webhook-url", help="Where to send events."
    ),
    webhook_secret: str = typer.Option(
        "whsec_standin", "--webhook-secret", envvar="STRIPE_WEBHOOK_SECRET"
    ),
    auto_onboard: bool = typer.Option(
        False, "--auto-onboard", help="New Connect accounts can take transfers at once."
    ),
) -> None:
    """Run the local Stripe stand-in until interrupted (point STRIPE_API_BASE at it)."""
    if host not in ("127.0.0.1", "localhost", "::1"):
        fail("The stand-in serves loopback only (--host 127.0.0.1).")
    from core.devkit.standin import start_standin

    async def main() -> None:
        standin = await start_standin(
            host, port, webhook_url, webhook_secret, auto_onboard=auto_onboard
        )
        typer.echo(f"Stripe stand-in on {standin.url} → webhooks to {webhook_url}")
        typer.echo(
            f"  export STRIPE_API_BASE={standin.url} STRIPE_SECRET_KEY=sk_test_standin "
            f"STRIPE_WEBHOOK_SECRET={webhook_secret}"
        )
        try:
            await asyncio.Event().wait()
        finally:
            await standin.close()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
