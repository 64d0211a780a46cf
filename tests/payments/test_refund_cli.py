"""`lcn payments refund` through the real CLI against a Stripe stand-in served on loopback: an
amount is whole cents in (0, what is left], "all" is `--all`, and every refusal is one sentence
with nothing sent to Stripe. (`--amount 0` and `--amount 0.0000004` once refunded everything.)"""

from __future__ import annotations

import asyncio
import json

import pytest
from typer.testing import CliRunner

from console.cli import app
from core import ledger
from core.config import Settings
from core.devkit.standin_api import sign
from core.payments import purchases, webhooks
from core.payments.client import Payments
from core.store import connect
from tests.jobfactory import CREATOR
from tests.payments.conftest import StandInThread

SECRET = "whsec_refund_cli_" + "r" * 16


@pytest.fixture
def paid_env(
    settings: Settings, stand_in_thread: StandInThread, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """The CLI's environment and the same settings for the test's own calls: payments on,
    Stripe at the stand-in."""
    url = stand_in_thread.stand_in.url
    monkeypatch.setenv("LCN_REDIS_URL", settings.redis_url or "")
    monkeypatch.setenv("LCN_POOL", settings.pool)
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_refund_cli")
    monkeypatch.setenv("STRIPE_API_BASE", url)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", SECRET)
    return settings.model_copy(
        update={
            "stripe_secret_key": "sk_test_refund_cli",
            "stripe_api_base": url,
            "stripe_webhook_secret": SECRET,
        }
    )


def paid_credit(settings: Settings, stand_in_thread: StandInThread, micro: int) -> str:
    """A credit purchase paid at the stand-in, its webhooks delivered signed: its id."""

    async def work() -> str:
        store = await connect(settings)
        payments = Payments.from_settings(settings)
        assert payments is not None
        try:
            checkout = await purchases.buy_credit(store, payments, CREATOR, micro)
            assert checkout.session_id
            stand_in = stand_in_thread.stand_in
            await asyncio.wrap_future(
                asyncio.run_coroutine_threadsafe(
                    stand_in.complete_checkout(checkout.session_id), stand_in_thread.loop
                )
            )
            for event in list(stand_in.api.events):
                payload = json.dumps(event)
                await webhooks.handle(store, payload.encode(), sign(payload, SECRET), SECRET)
            return checkout.purchase_id
        finally:
            await payments.aclose()
            await store.close()

    return asyncio.run(work())


def credit_of(settings: Settings) -> int:
    async def work() -> int:
        store = await connect(settings)
        try:
            return await ledger.balance(store, ledger.creator_account(CREATOR))
        finally:
            await store.close()

    return asyncio.run(work())


def refund(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["payments", "refund", *args])
    return result.exit_code, result.stdout, result.stderr


REFUSED = {
    ("pu_any",): "Give either --amount USD or --all, not both or neither.",
    ("pu_any", "--amount", "1", "--all"): "Give either --amount USD or --all, not both or neither.",
    ("pu_any", "--amount", "0"): "A refund amount must be more than $0.00; use --all for the rest.",
    ("pu_any", "--amount", "0.0000004"): "A refund is a whole number of cents, like 12.50, "
    "not 0.0000004.",
    ("pu_any", "--amount=-5"): "A refund amount cannot be negative.",
    ("pu_any", "--amount", "1e400"): "A refund amount is at most $9,007,199,254.74.",
    ("pu_any", "--amount", "9007199254.75"): "A refund amount is at most $9,007,199,254.74.",
    ("pu_any", "--amount", "ten"): "The amount 'ten' is not an amount in USD, like 12.50.",
    ("pu_any", "--amount", "NaN"): "The amount 'NaN' is not an amount in USD, like 12.50.",
}


def test_bad_amounts_are_refused_in_one_sentence_before_anything_is_sent(
    paid_env: Settings, stand_in_thread: StandInThread
) -> None:
    for args, sentence in REFUSED.items():
        code, out, err = refund(*args)
        assert code == 1, args
        assert out == "" and err == f"error: {sentence}\n", (args, err)
    assert stand_in_thread.stand_in.api.all("refund") == []


def test_partial_refunds_then_all_that_is_left(
    paid_env: Settings, stand_in_thread: StandInThread
) -> None:
    purchase_id = paid_credit(paid_env, stand_in_thread, 10_000_000)
    code, _, err = refund(purchase_id, "--amount", "10.01")
    assert code == 1 and err == f"error: Purchase {purchase_id} has $10.00 left to refund.\n"
    code, out, _ = refund(purchase_id, "--amount", "$2.50", "--reason", "asked")
    assert code == 0 and "$2.50 succeeded" in out
    code, out, _ = refund(purchase_id, "--amount", "1.25", "--json")
    assert code == 0 and json.loads(out)["amountMicroUsd"] == 1_250_000
    code, out, _ = refund(purchase_id, "--all")
    assert code == 0 and "$6.25 succeeded" in out
    code, _, err = refund(purchase_id, "--all")
    assert code == 1 and err == f"error: Purchase {purchase_id} is refunded, not paid.\n"
    amounts = [r["amount"] for r in stand_in_thread.stand_in.api.all("refund")]
    assert amounts == [250, 125, 625]
    assert credit_of(paid_env) == 0
