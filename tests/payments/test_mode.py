"""Whether payments are on is one decision (core.payments.mode): a Stripe secret key turns them
on; none, an empty one or blanks leave them off, however the key arrives and whoever asks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from console.app import LcnConsole
from core.config import Settings, load_settings
from core.payments import credit, mode
from core.payments.client import Payments

ROOT = Path(__file__).resolve().parents[2]
OFF_KEYS = (None, "", "   ", "\t\n")


def _every_answer(settings: Settings) -> set[bool]:
    """What each part of lcn that asks would decide for a process with these settings."""
    payments = Payments.from_settings(settings)
    return {
        mode.enabled(settings),
        mode.enabled_in_env(),
        credit.policy(settings).payments_on,
        credit.policy_from_env().payments_on,
        payments is not None,
        LcnConsole(settings).payments_enabled,
    }


@pytest.mark.parametrize("key", OFF_KEYS)
def test_no_key_an_empty_key_or_blanks_mean_off_everywhere(
    key: str | None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if key is None:
        monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("STRIPE_SECRET_KEY", key)
    settings = load_settings(data_dir=tmp_path)
    assert _every_answer(settings) == {False}
    # Settings built in code skip the environment's validators; the rule still holds.
    copied = settings.model_copy(update={"stripe_secret_key": key})
    assert mode.enabled(copied) is False
    assert Payments.from_settings(copied) is None
    assert LcnConsole(copied).payments_enabled is False


async def test_a_key_means_on_everywhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STRIPE_SECRET_KEY", " sk_test_mode ")
    settings = load_settings(data_dir=tmp_path)
    assert _every_answer(settings) == {True}
    payments = Payments.from_settings(settings)
    assert payments is not None
    await payments.aclose()


def test_only_the_mode_module_reads_the_key_to_decide() -> None:
    """The key is read in two places: mode (to decide) and the client (to send it to Stripe)."""
    readers = set()
    pattern = re.compile(r"\.stripe_secret_key\b|STRIPE_SECRET_KEY\"\)")
    for package in ("core", "console"):
        for path in (ROOT / package).rglob("*.py"):
            if pattern.search(path.read_text()):
                readers.add(path.relative_to(ROOT).as_posix())
    assert readers == {"core/payments/mode.py", "core/payments/client.py"}
