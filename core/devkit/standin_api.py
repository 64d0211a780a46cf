"""A stand-in for the part of Stripe's REST API lcn calls, in memory and without I/O.

It answers like Stripe (objects, list pages, error bodies and status codes, `Idempotent-Replayed`
on a replayed idempotency key, 400 on a key reused with other parameters) and emits the events
Stripe would send. What a customer or the Stripe Dashboard would do is a method here:
`complete_checkout` (pay, or be declined), `expire_checkout`, `complete_onboarding`,
`refund_outside` (a Dashboard refund), `reverse_transfer`, `fail_refund`, `set_capability` (Stripe
changes what a connected account may do). Faults are injected with `fail_next` (429s, 5xx, before
or after the request took effect, or saved under its idempotency key) and `stall_next` (a request
still executing when its retry arrives).

Stripe's real behaviour is mirrored where lcn depends on it (docs.stripe.com:
/api/idempotent_requests, /connect/service-agreement-types, /api/balance): money from a charge
is *pending* for `settle_delay_s` before it is *available*, and only available money can be
transferred (`balance_insufficient` otherwise); the first answer under an idempotency key is
saved once the endpoint began executing — errors included, 500s included — and replayed for 24
hours, after which the key is forgotten and the same key makes a new request; a request that
arrives while another with its key is still executing gets 409 `idempotency_key_in_use` and
nothing is saved; a platform in the US can transfer across borders only to accounts under the
`recipient` service agreement.
Time is `clock()` (seconds), which tests replace to let funds mature and keys expire.

`standin.py` serves it over HTTP on loopback and delivers its events as signed webhooks; tests
call `handle` directly from an HTTP client of their own. This is a simulation of an outside
service, so it keeps its state in memory; nothing of lcn's state lives here.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import operator
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

Obj = dict[str, Any]
Reply = tuple[int, Obj, dict[str, str]]

DECLINE_CARDS = {"4000000000000002", "4000000000009995"}
DECLINE_METHODS = {"pm_card_chargeDeclined", "pm_card_visa_chargeDeclined"}
START_BALANCE_CENTS = 1_000_000_000  # $10M available, so payouts work before any sale
SETTLE_DELAY_S = 2 * 86400  # a card payment's funds are pending this long (US: two days)
DISPUTE_FEE_CENTS = 1500  # Stripe's US dispute fee, withdrawn with the disputed amount


def card_fee_cents(amount: int) -> int:
    """Stripe's standard US card pricing: 2.9% + 30¢, rounded to the cent."""
    return (amount * 29 + 500) // 1000 + 30


IDEMPOTENCY_TTL_S = 24 * 3600  # Stripe prunes keys once they are at least 24 hours old
PLATFORM_COUNTRY = "US"
API_VERSION = "2025-01-27.acacia"


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header: t=<unix seconds>,v1=HMAC-SHA256(secret, "<t>.<payload>")."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def decode_form(body: str) -> Obj:
    """Stripe's form encoding back to nested data: `a[b][0][c]=v` → {"a": {"b": [{"c": "v"}]}}."""
    root: Obj = {}
    for name, value in parse_qsl(body, keep_blank_values=True):
        path = re.findall(r"[^\[\]]+", name)
        node = root
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    decoded: Obj = _lists(root)
    return decoded


def _lists(value: Any) -> Any:
    if isinstance(value, dict):
        converted = {k: _lists(v) for k, v in value.items()}
        if converted and all(k.isdigit() for k in converted):
            return [converted[k] for k in sorted(converted, key=int)]
        return converted
    return value


class Stalled(Exception):
    """The request is still executing at Stripe when the client gives up waiting (a timeout)."""


class ManualClock:
    """A clock for the stand-in that moves only when told to (seconds since the epoch)."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class StripeApiError(Exception):
    def __init__(self, status: int, kind: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": kind, "message": message, **extra}}


def _bad(message: str, **extra: Any) -> StripeApiError:
    return StripeApiError(400, "invalid_request_error", message, **extra)


def _missing(kind: str, ident: str) -> StripeApiError:
    return StripeApiError(
        404,
        "invalid_request_error",
        f"No such {kind}: '{ident}'",
        code="resource_missing",
    )


def _int(params: Obj, name: str, *, required: bool = True) -> int | None:
    raw = params.get(name)
    if raw is None:
        if required:
            raise _bad(f"Missing required param: {name}.", param=name)
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise _bad(f"Invalid integer: {raw}", param=name) from None
    if value < 1:
        raise _bad("This value must be greater than or equal to 1.", param=name)
    return value


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: Obj
    idempotency_key: str | None
    status: int = 0
    replayed: bool = False


@dataclass
class Fault:
    method: str
    path_prefix: str
    status: int
    after: bool  # the request takes effect, then the answer is lost to this fault
    saved: bool = False  # the endpoint began executing and failed: Stripe saves this error


@dataclass
class InFlight:
    """A request that began executing and has not finished (see `stall_next`)."""

    slot: str
    fingerprint: str
    method: str
    path: str
    params: Obj


@dataclass
class StripeStandIn:
    """Stripe's state for one (test-mode) platform account."""

    on_event: Callable[[Obj], None] | None = None
    auto_onboard: bool = False  # new Express accounts can take transfers at once (demo)
    base_url: str = "http://stand-in.invalid"
    available_cents: int = START_BALANCE_CENTS
    settle_delay_s: int = SETTLE_DELAY_S
    clock: Callable[[], float] = time.time
    pending_funds: list[tuple[float, int]] = field(default_factory=list)  # (available_on, cents)
    objects: dict[str, dict[str, Obj]] = field(default_factory=dict)
    events: list[Obj] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    links: dict[str, tuple[str, str]] = field(default_factory=dict)  # link → (account, return)
    _idempotent: dict[str, tuple[str, int, Obj, float]] = field(default_factory=dict)
    revoked_keys: set[str] = field(default_factory=set)  # answered 401 (rolled or deleted)
    restricted_keys: set[str] = field(default_factory=set)  # answered 403 (no permission)
    _stalls: list[str] = field(default_factory=list)  # path prefixes of requests to stall
    _in_flight: dict[str, InFlight] = field(default_factory=dict)
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # -- plumbing ---------------------------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_{secrets.token_hex(12)}"

    def _put(self, kind: str, obj: Obj) -> Obj:
        obj.setdefault("created", int(self.clock()))
        obj["_seq"] = next(self._seq)
        self.objects.setdefault(kind, {})[obj["id"]] = obj
        return obj

    def _get(self, kind: str, ident: str, what: str) -> Obj:
        found = self.objects.get(kind, {}).get(ident)
        if found is None:
            raise _missing(what, ident)
        return found

    def all(self, kind: str) -> list[Obj]:
        """Objects of a kind ('transfer', 'charge', 'refund', …), oldest first, as Stripe shows."""
        found = sorted(self.objects.get(kind, {}).values(), key=lambda o: o["_seq"])
        return [_public(o) for o in found]

    def emit(self, kind: str, obj: Obj) -> Obj:
        event = {
            "id": self._new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": int(self.clock()),
            "type": kind,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "data": {"object": _public(obj)},
        }
        self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)
        return event

    def fail_next(
        self,
        path_prefix: str,
        status: int,
        *,
        times: int = 1,
        method: str = "POST",
        after: bool = False,
        saved: bool = False,
    ) -> None:
        """The next `times` matching requests get `status` (429, 500, 503, …). With `after`,
        each takes effect first and only its answer is lost, as when a connection drops. With
        `saved`, the endpoint began executing and failed without effect, and Stripe saved that
        error under the request's idempotency key: a retry with the key gets it again."""
        for _ in range(times):
            self.faults.append(Fault(method.upper(), path_prefix, status, after, saved))

    def stall_next(self, path_prefix: str) -> None:
        """The next POST to `path_prefix` begins executing and does not finish until
        `finish_stalled`: its client times out, and a retry with its key meanwhile gets 409."""
        self._stalls.append(path_prefix)

    def finish_stalled(self) -> list[tuple[int, Obj]]:
        """Every stalled request finishes: it takes effect and its answer is saved."""
        done = []
        for flight in list(self._in_flight.values()):
            status, reply = self._execute(flight.method, flight.path, flight.params)
            self._save(flight.slot, flight.fingerprint, status, reply)
            del self._in_flight[flight.slot]
            done.append((status, reply))
        return done

    def stalled(self) -> bool:
        return bool(self._in_flight)

    def _take_stall(self, method: str, path: str) -> bool:
        for prefix in self._stalls:
            if method == "POST" and path.startswith(prefix):
                self._stalls.remove(prefix)
                return True
        return False

    def _saved(self, slot: str) -> tuple[str, int, Obj, float] | None:
        """The saved answer under an idempotency slot, unless Stripe has pruned it (24 h)."""
        found = self._idempotent.get(slot)
        if found is not None and self.clock() - found[3] >= IDEMPOTENCY_TTL_S:
            del self._idempotent[slot]
            return None
        return found

    def _save(self, slot: str | None, fingerprint: str, status: int, reply: Obj) -> None:
        if slot is not None:
            self._idempotent[slot] = (fingerprint, status, reply, self.clock())

    # -- balance ------------------------------------------------------------------------------

    def _mature(self) -> None:
        """Pending funds whose day has come become available."""
        now = self.clock()
        due = [cents for on, cents in self.pending_funds if on <= now]
        if due:
            self.pending_funds = [(on, c) for on, c in self.pending_funds if on > now]
            self.available_cents += sum(due)

    def pending_cents(self) -> int:
        self._mature()
        return sum(cents for _, cents in self.pending_funds)

    def _fault_for(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.method == method and path.startswith(fault.path_prefix):
                self.faults.remove(fault)
                return fault
        return None

    # -- the HTTP surface -------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: str, body: str, headers: dict[str, str]
    ) -> Reply:
        """One API request: (status, JSON body, response headers)."""
        method = method.upper()
        lower = {k.lower(): v for k, v in headers.items()}
        params = decode_form(query if method in ("GET", "DELETE") else body)
        key = lower.get("idempotency-key")
        recorded = RecordedRequest(method, path, params, key)
        self.requests.append(recorded)
        status, reply, extra = self._answer(method, path, params, lower, key)
        recorded.status = status
        recorded.replayed = extra.get("Idempotent-Replayed") == "true"
        return status, reply, {"Request-Id": self._new_id("req"), **extra}

    def _answer(
        self, method: str, path: str, params: Obj, headers: dict[str, str], key: str | None
    ) -> Reply:
        auth = headers.get("authorization", "")
        api_key = auth.removeprefix("Bearer ").strip()
        if not api_key.startswith(("sk_", "rk_")) or api_key in self.revoked_keys:
            error = StripeApiError(401, "invalid_request_error", "Invalid API Key provided.")
            return error.status, error.body, {}
        if api_key in self.restricted_keys:
            error = StripeApiError(
                403,
                "invalid_request_error",
                "The provided key does not have the required permissions for this endpoint.",
            )
            return error.status, error.body, {}
        self._mature()
        fault = self._fault_for(method, path)
        if fault is not None and not fault.after and not fault.saved:
            return fault.status, _fault_body(fault.status), {}
        slot = f"{api_key}|{key}" if key and method == "POST" else None
        fingerprint = json.dumps([method, path, params], sort_keys=True)
        if slot is not None and slot in self._in_flight:
            # Nothing is saved for the second request: a retry later gets the first's answer.
            error = StripeApiError(
                409,
                "invalid_request_error",
                "There is currently another in-progress request using this Idempotent Key "
                f"(that probably means you submitted twice, and the other request is still "
                f"going through): {key}. Please try again later.",
                code="idempotency_key_in_use",
            )
            return error.status, error.body, {"Stripe-Should-Retry": "true"}
        saved = self._saved(slot) if slot is not None else None
        if saved is not None:
            first_print, status, reply, _ = saved
            if first_print != fingerprint:
                error = _bad(
                    "Keys for idempotent requests can only be used with the same parameters "
                    f"they were first used with. Try using a key other than '{key}' if you "
                    "meant to execute a different request.",
                )
                error.body["error"]["type"] = "idempotency_error"
                return 400, error.body, {}
            if fault is not None:
                return fault.status, _fault_body(fault.status), {}
            return status, reply, {"Idempotent-Replayed": "true"}
        if slot is not None and self._take_stall(method, path):
            self._in_flight[slot] = InFlight(slot, fingerprint, method, path, params)
            raise Stalled(f"{method} {path} is still executing")
        if fault is not None and fault.saved:
            status, reply = fault.status, _fault_body(fault.status)
            self._save(slot, fingerprint, status, reply)
            return status, reply, {"Stripe-Should-Retry": "false"}
        status, reply = self._execute(method, path, params)
        if status != 429:
            self._save(slot, fingerprint, status, reply)
        if fault is not None:
            return fault.status, _fault_body(fault.status), {}
        return status, reply, {}

    def _execute(self, method: str, path: str, params: Obj) -> tuple[int, Obj]:
        try:
            return 200, self._route(method, path, params)
        except StripeApiError as exc:
            return exc.status, exc.body

    def _route(self, method: str, path: str, params: Obj) -> Obj:
        parts = path.strip("/").split("/")
        if parts[0] != "v1" or len(parts) < 2:
            raise _missing("path", path)
        resource, rest = parts[1], parts[2:]
        if resource == "checkout" and rest[:1] == ["sessions"]:
            resource, rest = "checkout/sessions", rest[1:]
        route = ROUTES.get((method, resource, len(rest)))
        if route is None:
            raise StripeApiError(
                404,
                "invalid_request_error",
                f"Unrecognized request URL ({method}: {path}).",
            )
        return route(self, params, *rest)

    # -- Connect ------------------------------------------------------------------------------

    def create_account(self, params: Obj) -> Obj:
        capabilities = params.get("capabilities") or {}
        requested = capabilities.get("transfers", {})
        country = str(params.get("country") or PLATFORM_COUNTRY).upper()
        agreement = str((params.get("tos_acceptance") or {}).get("service_agreement") or "full")
        if agreement not in ("full", "recipient"):
            raise _bad(
                f"Invalid tos_acceptance[service_agreement]: {agreement}",
                param="tos_acceptance[service_agreement]",
            )
        if agreement == "recipient" and "card_payments" in capabilities:
            raise _bad(
                "Accounts under the recipient service agreement cannot request the "
                "card_payments capability.",
                param="capabilities",
            )
        if country != PLATFORM_COUNTRY and agreement != "recipient":
            raise _bad(
                f"Your platform in {PLATFORM_COUNTRY} can only create accounts in {country} "
                "that receive transfers under the recipient service agreement; pass "
                "tos_acceptance[service_agreement]=recipient.",
                param="tos_acceptance[service_agreement]",
            )
        account = self._put(
            "account",
            {
                "id": self._new_id("acct"),
                "object": "account",
                "type": params.get("type", "express"),
                "country": country,
                "email": params.get("email"),
                "metadata": params.get("metadata") or {},
                "details_submitted": False,
                "charges_enabled": False,
                "payouts_enabled": False,
                "capabilities": {"transfers": "inactive"} if requested else {},
                "tos_acceptance": {"service_agreement": agreement},
            },
        )
        if self.auto_onboard:
            self.complete_onboarding(account["id"])
        return _public(account)

    def get_account(self, _: Obj, ident: str) -> Obj:
        return _public(self._get("account", ident, "account"))

    def create_account_link(self, params: Obj) -> Obj:
        account = self._get("account", str(params.get("account", "")), "account")
        for name in ("return_url", "refresh_url"):
            if not params.get(name):
                raise _bad(f"Missing required param: {name}.", param=name)
        link = secrets.token_urlsafe(12)
        self.links[link] = (account["id"], params["return_url"])
        return {
            "object": "account_link",
            "created": int(time.time()),
            "expires_at": int(time.time()) + 300,
            "url": f"{self.base_url}/connect/onboarding/{link}",
        }

    def follow_link(self, link: str) -> str | None:
        """The operator finished Stripe's form: the account is onboarded; where to return."""
        found = self.links.pop(link, None)
        if found is None:
            return None
        self.complete_onboarding(found[0])
        return found[1]

    def complete_onboarding(self, account_id: str) -> Obj:
        account = self._get("account", account_id, "account")
        account.update(details_submitted=True, charges_enabled=True, payouts_enabled=True)
        account["capabilities"] = {"transfers": "active"}
        self.emit("account.updated", account)
        return _public(account)

    def set_capability(self, account_id: str, name: str, status: str) -> Obj:
        """Stripe changes a capability (`active`, `inactive`, `pending`): when it asks the
        account for more information, say, or restricts it; `account.updated` follows."""
        account = self._get("account", account_id, "account")
        account["capabilities"] = {**(account.get("capabilities") or {}), name: status}
        self.emit("account.updated", account)
        return _public(account)

    # -- money in -----------------------------------------------------------------------------

    def create_session(self, params: Obj) -> Obj:
        if params.get("mode") != "payment":
            raise _bad("The stand-in supports mode=payment only.", param="mode")
        items = params.get("line_items") or []
        if not items:
            raise _bad("Missing required param: line_items.", param="line_items")
        total = 0
        for item in items:
            price = item.get("price_data") or {}
            unit = _int(price, "unit_amount") or 0
            total += unit * int(item.get("quantity", 1))
        if total < 50:
            raise _bad("The Checkout Session's total amount due must add up to at least $0.50 usd")
        for name in ("success_url",):
            if not params.get(name):
                raise _bad(f"Missing required param: {name}.", param=name)
        ident = self._new_id("cs_test")
        session = self._put(
            "session",
            {
                "id": ident,
                "object": "checkout.session",
                "mode": "payment",
                "status": "open",
                "payment_status": "unpaid",
                "amount_total": total,
                "currency": "usd",
                "client_reference_id": params.get("client_reference_id"),
                "metadata": params.get("metadata") or {},
                "payment_intent": None,
                "success_url": params.get("success_url"),
                "cancel_url": params.get("cancel_url"),
                "url": f"{self.base_url}/checkout/{ident}",
                "_intent_data": params.get("payment_intent_data") or {},
                "_description": (items[0].get("price_data") or {})
                .get("product_data", {})
                .get("name", ""),
            },
        )
        return _public(session)

    def get_session(self, _: Obj, ident: str) -> Obj:
        return _public(self._get("session", ident, "checkout.session"))

    def _charge(self, intent: Obj, card: str) -> tuple[Obj, bool]:
        declined = card in DECLINE_CARDS or card in DECLINE_METHODS
        charge = self._put(
            "charge",
            {
                "id": self._new_id("ch"),
                "object": "charge",
                "amount": intent["amount"],
                "amount_captured": 0 if declined else intent["amount"],
                "amount_refunded": 0,
                "currency": "usd",
                "paid": not declined,
                "captured": not declined,
                "refunded": False,
                "status": "failed" if declined else "succeeded",
                "payment_intent": intent["id"],
                "metadata": dict(intent.get("metadata") or {}),
                "failure_code": "card_declined" if declined else None,
            },
        )
        intent["latest_charge"] = charge["id"]
        if declined:
            intent["status"] = "requires_payment_method"
            intent["last_payment_error"] = {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "generic_decline",
                "message": "Your card was declined.",
                "charge": charge["id"],
            }
            self.emit("charge.failed", charge)
            self.emit("payment_intent.payment_failed", intent)
        else:
            intent["status"] = "succeeded"
            intent["amount_received"] = intent["amount"]
            intent["last_payment_error"] = None
            fee = card_fee_cents(intent["amount"])
            available_on = self.clock() + self.settle_delay_s
            txn = self._balance_txn(
                intent["amount"], fee, "charge", charge["id"], available_on=available_on
            )
            charge["balance_transaction"] = txn["id"]
            self.pending_funds.append((available_on, intent["amount"] - fee))
            self.emit("charge.succeeded", charge)
            self.emit("payment_intent.succeeded", intent)
        return charge, not declined

    def _intent(self, amount: int, metadata: Obj, description: str) -> Obj:
        ident = self._new_id("pi")
        return self._put(
            "payment_intent",
            {
                "id": ident,
                "object": "payment_intent",
                "amount": amount,
                "amount_received": 0,
                "currency": "usd",
                "status": "requires_payment_method",
                "metadata": metadata,
                "description": description,
                "client_secret": f"{ident}_secret_{secrets.token_hex(8)}",
                "latest_charge": None,
                "last_payment_error": None,
            },
        )

    def create_intent(self, params: Obj) -> Obj:
        amount = _int(params, "amount") or 0
        if amount < 50:
            raise _bad("Amount must be at least $0.50 usd", param="amount", code="amount_too_small")
        intent = self._intent(amount, params.get("metadata") or {}, params.get("description", ""))
        method = params.get("payment_method")
        if method and params.get("confirm") == "true":
            _, ok = self._charge(intent, str(method))
            if not ok:
                raise StripeApiError(
                    402,
                    "card_error",
                    "Your card was declined.",
                    code="card_declined",
                    decline_code="generic_decline",
                    payment_intent=_public(intent),
                )
        return _public(intent)

    def get_intent(self, params: Obj, ident: str) -> Obj:
        intent = _public(self._get("payment_intent", ident, "payment_intent"))
        return self._expand(intent, params)

    def _expand(self, obj: Obj, params: Obj) -> Obj:
        """Stripe's `expand[]`: the ids named (dotted paths, as Stripe takes them) become
        the objects."""
        wanted = params.get("expand") or []
        if isinstance(wanted, str):
            wanted = [wanted]
        kinds = {
            "latest_charge": "charge",
            "balance_transaction": "balance_transaction",
            "charge": "charge",
            "payment_intent": "payment_intent",
        }
        for path in wanted:
            node: Any = obj
            for name in str(path).split("."):
                if not isinstance(node, dict):
                    break
                value = node.get(name)
                if isinstance(value, str) and name in kinds:
                    value = _public(self._get(kinds[name], value, name))
                    node[name] = value
                node = value
        return obj

    # -- balance transactions and disputes ----------------------------------------------------

    def _balance_txn(
        self, amount: int, fee: int, kind: str, source: str, *, available_on: float | None = None
    ) -> Obj:
        return self._put(
            "balance_transaction",
            {
                "id": self._new_id("txn"),
                "object": "balance_transaction",
                "amount": amount,
                "fee": fee,
                "net": amount - fee,
                "currency": "usd",
                "type": kind,
                "reporting_category": kind,
                "source": source,
                "status": "pending" if available_on else "available",
                "available_on": int(available_on or self.clock()),
                "fee_details": [
                    {"amount": fee, "currency": "usd", "type": "stripe_fee", "description": None}
                ]
                if fee
                else [],
            },
        )

    def get_balance_transaction(self, _: Obj, ident: str) -> Obj:
        return _public(self._get("balance_transaction", ident, "balance_transaction"))

    def dispute(self, payment_intent: str, amount: int | None = None) -> Obj:
        """The cardholder disputes the payment: Stripe withdraws the disputed amount and its
        dispute fee from the balance at once (charge.dispute.created, with the withdrawal's
        balance transaction, then charge.dispute.funds_withdrawn)."""
        intent = self._get("payment_intent", payment_intent, "payment_intent")
        charge = self._get("charge", str(intent.get("latest_charge") or ""), "charge")
        disputed = charge["amount"] if amount is None else amount
        withdrawal = self._balance_txn(-disputed, DISPUTE_FEE_CENTS, "dispute", "")
        self._mature()
        self.available_cents -= disputed + DISPUTE_FEE_CENTS
        found = self._put(
            "dispute",
            {
                "id": self._new_id("du"),
                "object": "dispute",
                "amount": disputed,
                "currency": "usd",
                "charge": charge["id"],
                "payment_intent": intent["id"],
                "reason": "fraudulent",
                "status": "needs_response",
                "is_charge_refundable": False,
                "metadata": {},
                "balance_transactions": [_public(withdrawal)],
            },
        )
        withdrawal["source"] = found["id"]
        found["balance_transactions"] = [_public(withdrawal)]
        charge["disputed"] = True
        self.emit("charge.dispute.created", found)
        self.emit("charge.dispute.funds_withdrawn", found)
        return _public(found)

    def close_dispute(self, dispute_id: str, *, won: bool) -> Obj:
        """The issuer decides. Won: Stripe reinstates the disputed amount (the US dispute fee is
        not returned); lost: the money stays with the cardholder."""
        found = self._get("dispute", dispute_id, "dispute")
        if found["status"] in ("won", "lost"):
            raise _bad(f"Dispute {dispute_id} is already {found['status']}.")
        if won:
            back = self._balance_txn(found["amount"], 0, "dispute", found["id"])
            found["balance_transactions"].append(_public(back))
            self.available_cents += found["amount"]
        found["status"] = "won" if won else "lost"
        self.emit("charge.dispute.closed", found)
        if won:
            self.emit("charge.dispute.funds_reinstated", found)
        return _public(found)

    def get_dispute(self, _: Obj, ident: str) -> Obj:
        return _public(self._get("dispute", ident, "dispute"))

    def complete_checkout(self, session_id: str, card: str = "4242424242424242") -> Obj:
        """The customer pays on the hosted page (a declining card fails the payment; the session
        stays open for another try). The session as it is after."""
        session = self._get("session", session_id, "checkout.session")
        if session["status"] != "open":
            raise _bad(f"This Checkout Session is {session['status']}.")
        data = session["_intent_data"]
        intent_id = session.get("payment_intent")
        if intent_id:
            intent = self._get("payment_intent", intent_id, "payment_intent")
        else:
            intent = self._intent(
                session["amount_total"],
                dict(data.get("metadata") or {}),
                str(data.get("description") or session["_description"]),
            )
            session["payment_intent"] = intent["id"]
        _, ok = self._charge(intent, card)
        if ok:
            session.update(status="complete", payment_status="paid")
            self.emit("checkout.session.completed", session)
        return _public(session)

    def expire_checkout(self, session_id: str) -> Obj:
        session = self._get("session", session_id, "checkout.session")
        if session["status"] != "open":
            raise _bad(f"This Checkout Session is {session['status']}.")
        session["status"] = "expired"
        self.emit("checkout.session.expired", session)
        return _public(session)

    # -- money out ----------------------------------------------------------------------------

    def create_transfer(self, params: Obj) -> Obj:
        amount = _int(params, "amount") or 0
        if params.get("currency") != "usd":
            raise _bad("The stand-in transfers usd only.", param="currency")
        destination = str(params.get("destination", ""))
        account = self._get("account", destination, "account")
        if (account.get("capabilities") or {}).get("transfers") != "active":
            raise _bad(
                "Your destination account needs to have at least one of the following "
                "capabilities enabled: transfers, crypto_transfers, legacy_payments",
                param="destination",
            )
        agreement = (account.get("tos_acceptance") or {}).get("service_agreement", "full")
        abroad = account.get("country", PLATFORM_COUNTRY) != PLATFORM_COUNTRY
        if abroad and agreement != "recipient":
            raise _bad(
                f"Funds can't be sent to accounts located in {account['country']} under the "
                "full service agreement; cross-border transfers need the recipient agreement.",
                param="destination",
            )
        self._mature()
        if amount > self.available_cents:
            raise _bad(
                "You have insufficient available funds in your Stripe account.",
                code="balance_insufficient",
            )
        self.available_cents -= amount
        transfer = self._put(
            "transfer",
            {
                "id": self._new_id("tr"),
                "object": "transfer",
                "amount": amount,
                "amount_reversed": 0,
                "currency": "usd",
                "destination": destination,
                "description": params.get("description"),
                "metadata": params.get("metadata") or {},
                "reversed": False,
                "reversals": {
                    "object": "list",
                    "data": [],
                    "has_more": False,
                    "total_count": 0,
                    "url": "/v1/transfers/reversals",
                },
                "transfer_group": params.get("transfer_group"),
            },
        )
        self.emit("transfer.created", transfer)
        return _public(transfer)

    def get_transfer(self, _: Obj, ident: str) -> Obj:
        return _public(self._get("transfer", ident, "transfer"))

    def reverse_transfer(self, transfer_id: str, amount: int | None = None) -> Obj:
        transfer = self._get("transfer", transfer_id, "transfer")
        left = transfer["amount"] - transfer["amount_reversed"]
        take = left if amount is None else min(amount, left)
        if take <= 0:
            raise _bad(f"Transfer {transfer_id} is already fully reversed.")
        reversal = {
            "id": self._new_id("trr"),
            "object": "transfer_reversal",
            "amount": take,
            "currency": "usd",
            "created": int(self.clock()),
            "transfer": transfer_id,
            "metadata": {},
        }
        block = transfer["reversals"]
        block["data"].insert(0, reversal)  # newest first, as Stripe lists them
        block["total_count"] += 1
        transfer["amount_reversed"] += take
        transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
        self.available_cents += take
        self.emit("transfer.reversed", transfer)
        return _public(transfer)

    # -- refunds ------------------------------------------------------------------------------

    def _find_charge(self, params: Obj) -> Obj:
        if params.get("charge"):
            return self._get("charge", str(params["charge"]), "charge")
        intent_id = str(params.get("payment_intent") or "")
        intent = self._get("payment_intent", intent_id, "payment_intent")
        charge_id = intent.get("latest_charge")
        if intent.get("status") != "succeeded" or not charge_id:
            raise _bad(f"PaymentIntent {intent_id} has no successful charge to refund.")
        return self._get("charge", charge_id, "charge")

    def create_refund(self, params: Obj) -> Obj:
        charge = self._find_charge(params)
        left = charge["amount"] - charge["amount_refunded"]
        amount = _int(params, "amount", required=False) or left
        if amount > left:
            raise _bad(
                f"Refund amount (${amount / 100:.2f}) is greater than unrefunded amount on "
                f"charge (${left / 100:.2f})",
                param="amount",
            )
        refund = self._put(
            "refund",
            {
                "id": self._new_id("re"),
                "object": "refund",
                "amount": amount,
                "charge": charge["id"],
                "payment_intent": charge["payment_intent"],
                "currency": "usd",
                "status": "succeeded",
                "reason": params.get("reason"),
                "metadata": params.get("metadata") or {},
                "failure_reason": None,
            },
        )
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        self.available_cents -= amount
        self.emit("refund.created", refund)
        self.emit("charge.refunded", charge)
        return _public(refund)

    def refund_outside(self, payment_intent: str, amount: int | None = None) -> Obj:
        """A refund made in the Stripe Dashboard, not through lcn."""
        params: Obj = {"payment_intent": payment_intent}
        if amount is not None:
            params["amount"] = str(amount)
        return self.create_refund(params)

    def fail_refund(self, refund_id: str, *, canceled: bool = False) -> Obj:
        """A refund Stripe accepted fails later (the card was closed, say), or is canceled. As
        Stripe does, the change is sent as refund.updated and charge.refund.updated, and a
        failure also as refund.failed: three events about one change."""
        refund = self._get("refund", refund_id, "refund")
        if canceled:
            refund.update(status="canceled", failure_reason=None)
        else:
            refund.update(status="failed", failure_reason="expired_or_canceled_card")
        charge = self._get("charge", refund["charge"], "charge")
        charge["amount_refunded"] -= refund["amount"]
        charge["refunded"] = False
        self.available_cents += refund["amount"]
        self.emit("refund.updated", refund)
        self.emit("charge.refund.updated", refund)
        if not canceled:
            self.emit("refund.failed", refund)
        return _public(refund)

    def get_refund(self, _: Obj, ident: str) -> Obj:
        return _public(self._get("refund", ident, "refund"))

    def get_charge(self, params: Obj, ident: str) -> Obj:
        return self._expand(_public(self._get("charge", ident, "charge")), params)

    def balance(self, _: Obj) -> Obj:
        return {
            "object": "balance",
            "livemode": False,
            "pending": [{"amount": self.pending_cents(), "currency": "usd"}],
            "available": [{"amount": self.available_cents, "currency": "usd"}],
        }

    # -- lists --------------------------------------------------------------------------------

    def _list(self, kind: str, url: str, params: Obj, filters: tuple[str, ...]) -> Obj:
        found = sorted(self.objects.get(kind, {}).values(), key=lambda o: -o["_seq"])
        created = params.get("created")
        if isinstance(created, dict):
            for op, test in (
                ("gte", operator.ge),
                ("gt", operator.gt),
                ("lte", operator.le),
                ("lt", operator.lt),
            ):
                if op in created:
                    bound = int(created[op])
                    found = [o for o in found if test(o["created"], bound)]
        for name in filters:
            if params.get(name):
                found = [o for o in found if o.get(name) == params[name]]
        after = params.get("starting_after")
        if after:
            ids = [o["id"] for o in found]
            if after not in ids:
                raise _missing(kind, str(after))
            found = found[ids.index(after) + 1 :]
        limit = max(1, min(100, int(params.get("limit") or 10)))
        return {
            "object": "list",
            "url": url,
            "has_more": len(found) > limit,
            "data": [_public(o) for o in found[:limit]],
        }

    def list_transfers(self, params: Obj) -> Obj:
        return self._list("transfer", "/v1/transfers", params, ("transfer_group", "destination"))

    def list_charges(self, params: Obj) -> Obj:
        return self._list("charge", "/v1/charges", params, ("payment_intent",))

    def list_refunds(self, params: Obj) -> Obj:
        return self._list("refund", "/v1/refunds", params, ("payment_intent", "charge"))


def _public(obj: Obj) -> Obj:
    """Without the stand-in's own bookkeeping fields (those starting with '_')."""
    copied: Obj = json.loads(json.dumps({k: v for k, v in obj.items() if not k.startswith("_")}))
    return copied


def _fault_body(status: int) -> Obj:
    if status == 429:
        return {
            "error": {
                "type": "invalid_request_error",
                "code": "rate_limit",
                "message": "Too many requests hit the API too quickly.",
            }
        }
    return {"error": {"type": "api_error", "message": "An unknown error occurred."}}


Route = Callable[..., Obj]
ROUTES: dict[tuple[str, str, int], Route] = {
    ("POST", "accounts", 0): StripeStandIn.create_account,
    ("GET", "accounts", 1): StripeStandIn.get_account,
    ("POST", "account_links", 0): StripeStandIn.create_account_link,
    ("POST", "checkout/sessions", 0): StripeStandIn.create_session,
    ("GET", "checkout/sessions", 1): StripeStandIn.get_session,
    ("POST", "payment_intents", 0): StripeStandIn.create_intent,
    ("GET", "payment_intents", 1): StripeStandIn.get_intent,
    ("POST", "transfers", 0): StripeStandIn.create_transfer,
    ("GET", "transfers", 0): StripeStandIn.list_transfers,
    ("GET", "transfers", 1): StripeStandIn.get_transfer,
    ("POST", "refunds", 0): StripeStandIn.create_refund,
    ("GET", "refunds", 0): StripeStandIn.list_refunds,
    ("GET", "refunds", 1): StripeStandIn.get_refund,
    ("GET", "charges", 0): StripeStandIn.list_charges,
    ("GET", "charges", 1): StripeStandIn.get_charge,
    ("GET", "balance", 0): StripeStandIn.balance,
    ("GET", "balance_transactions", 1): StripeStandIn.get_balance_transaction,
    ("GET", "disputes", 1): StripeStandIn.get_dispute,
}
