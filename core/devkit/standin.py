"""The local Stripe stand-in, served over HTTP on loopback: the subset of Stripe's REST API lcn
calls (standin_api.py), a hosted "Checkout" page and "Connect onboarding" link to click through,
and Stripe's events sent back as signed webhooks to a configured URL (with retries, as Stripe
does). `lcn demo` starts one in-process and points STRIPE_API_BASE at its `.url`:

    standin = await start_standin("127.0.0.1", 0, webhook_url, webhook_secret)
    ...  # Payments.from_settings(settings with stripe_api_base=standin.url)
    await standin.complete_checkout(session_id)   # the customer pays; the webhook follows
    await standin.close()

`lcn payments standin` runs one on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
import socket
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from core.devkit.standin_api import Obj, Stalled, StripeApiError, StripeStandIn, sign

log = logging.getLogger("lcn.standin")

DELIVERY_ATTEMPTS = 5
DELIVERY_BACKOFF_S = 0.5
STALL_LIMIT_S = 60.0  # a stalled request answers once finished, or after this (the client gave up)


@dataclass
class WebhookDelivery:
    event_id: str
    type: str
    status: int | None  # the endpoint's HTTP status; None when it could not be reached
    attempts: int


# Instead of a URL, events can go to a coroutine in this process (a demo without a gateway):
# it gets the raw body and the Stripe-Signature header and returns an HTTP status.
WebhookHandler = Callable[[bytes, str], Awaitable[int]]


class _InProcessServer(uvicorn.Server):
    """uvicorn inside an application's own event loop: the application keeps its signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class StandIn:
    api: StripeStandIn
    url: str
    webhook_url: str | None
    webhook_secret: str
    webhook_handler: WebhookHandler | None = None
    deliveries: list[WebhookDelivery] = field(default_factory=list)
    _queue: asyncio.Queue[Obj] = field(default_factory=asyncio.Queue)
    _server: uvicorn.Server | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _client: httpx.AsyncClient | None = None

    async def complete_checkout(self, session_id: str, card: str = "4242424242424242") -> Obj:
        """Simulate the customer paying the Checkout Session; returns after its webhooks were
        delivered (or given up on)."""
        session = self.api.complete_checkout(session_id, card)
        await self.flush()
        return session

    async def complete_onboarding(self, account_id: str) -> Obj:
        account = self.api.complete_onboarding(account_id)
        await self.flush()
        return account

    async def dispute(self, payment_intent: str, amount: int | None = None) -> Obj:
        """The cardholder disputes a payment; returns after its webhooks were delivered."""
        found = self.api.dispute(payment_intent, amount)
        await self.flush()
        return found

    async def close_dispute(self, dispute_id: str, *, won: bool) -> Obj:
        found = self.api.close_dispute(dispute_id, won=won)
        await self.flush()
        return found

    async def reverse_transfer(self, transfer_id: str, amount: int | None = None) -> Obj:
        """Reverse (part of) a transfer, as from the Dashboard."""
        transfer = self.api.reverse_transfer(transfer_id, amount)
        await self.flush()
        return transfer

    async def flush(self) -> None:
        """Wait until every event so far was delivered (or given up on)."""
        await self._queue.join()

    def _enqueue(self, event: Obj) -> None:
        if self.webhook_url or self.webhook_handler:
            self._queue.put_nowait(event)

    async def _deliver(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                await self._deliver_one(event)
            except Exception:  # a stand-in must keep delivering whatever one event did
                log.exception("stand-in: delivering %s failed", event.get("id"))
            finally:
                self._queue.task_done()

    async def _post(self, payload: str, headers: dict[str, str]) -> int | None:
        if self.webhook_handler is not None:
            return await self.webhook_handler(payload.encode(), headers["Stripe-Signature"])
        assert self._client is not None and self.webhook_url
        try:
            response = await self._client.post(self.webhook_url, content=payload, headers=headers)
        except httpx.HTTPError:
            return None
        return response.status_code

    async def _deliver_one(self, event: Obj) -> None:
        payload = json.dumps(event, separators=(",", ":"))
        status: int | None = None
        attempt = 0
        for attempt in range(1, DELIVERY_ATTEMPTS + 1):
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": sign(payload, self.webhook_secret),
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks) lcn-stand-in",
            }
            status = await self._post(payload, headers)
            if status is not None and 200 <= status < 300:
                break
            if status is not None and 400 <= status < 500 and status != 429:
                break  # refused for good: retrying would not change the answer
            await asyncio.sleep(DELIVERY_BACKOFF_S * 2 ** (attempt - 1))
        self.deliveries.append(WebhookDelivery(event["id"], event["type"], status, attempt))

    async def close(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        for task in self._tasks:
            if task.get_name() == "stand-in-webhooks":
                task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._client is not None:
            await self._client.aclose()


def _app(standin_ref: list[StandIn]) -> Starlette:
    def api() -> StripeStandIn:
        return standin_ref[0].api

    async def rest(request: Request) -> Response:
        body = (await request.body()).decode("utf-8", "replace")
        args = (request.method, request.url.path, request.url.query, body, dict(request.headers))
        try:
            status, reply, headers = api().handle(*args)
        except Stalled:
            # Still executing (stall_next): answer when it finishes, as Stripe would; a client
            # that stops waiting first sees a timeout, and its retry meanwhile gets a 409.
            for _ in range(int(STALL_LIMIT_S / 0.05)):
                await asyncio.sleep(0.05)
                if not api().stalled():
                    break
            status, reply, headers = api().handle(*args)
        return JSONResponse(reply, status_code=status, headers=headers)

    async def checkout_page(request: Request) -> Response:
        session_id = request.path_params["session"]
        session = api().objects.get("session", {}).get(session_id)
        if session is None:
            return HTMLResponse("<h1>No such Checkout Session</h1>", status_code=404)
        amount = f"${session['amount_total'] / 100:,.2f}"
        name = html.escape(str(session.get("_description", "")))
        state = html.escape(session["status"])
        return HTMLResponse(
            f"<!doctype html><title>Stripe stand-in checkout</title>"
            f"<h1>{name}</h1><p>{amount} — session {html.escape(session_id)} is {state}.</p>"
            f'<form method="post" action="/checkout/{html.escape(session_id)}/pay">'
            f'<button name="card" value="4242424242424242">Pay with 4242 4242 4242 4242</button>'
            f'<button name="card" value="4000000000000002">Pay with a declining card</button>'
            f"</form>"
        )

    async def checkout_pay(request: Request) -> Response:
        session_id = request.path_params["session"]
        form = dict(parse_qsl((await request.body()).decode()))
        try:
            session = await standin_ref[0].complete_checkout(
                session_id, form.get("card", "4242424242424242")
            )
        except StripeApiError as exc:
            return JSONResponse(exc.body, status_code=exc.status)
        if session["payment_status"] == "paid" and session.get("success_url"):
            return RedirectResponse(str(session["success_url"]), status_code=303)
        return RedirectResponse(f"/checkout/{session_id}", status_code=303)

    async def onboarding(request: Request) -> Response:
        back = api().follow_link(request.path_params["link"])
        await standin_ref[0].flush()
        if back is None:
            return HTMLResponse("<h1>This onboarding link has expired</h1>", status_code=404)
        return RedirectResponse(back, status_code=303)

    async def index(_: Request) -> Response:
        stand_in = api()
        return JSONResponse(
            {
                "standIn": True,
                "pendingCents": stand_in.pending_cents(),  # first: it matures what is due
                "availableCents": stand_in.available_cents,
                "events": len(stand_in.events),
                "requests": len(stand_in.requests),
            }
        )

    return Starlette(
        routes=[
            Route("/", index),
            Route("/v1/{path:path}", rest, methods=["GET", "POST", "DELETE"]),
            Route("/checkout/{session}", checkout_page),
            Route("/checkout/{session}/pay", checkout_pay, methods=["POST"]),
            Route("/connect/onboarding/{link}", onboarding),
        ]
    )


async def start_standin(
    host: str = "127.0.0.1",
    port: int = 0,
    webhook_url: str | None = None,
    webhook_secret: str = "whsec_standin",
    *,
    auto_onboard: bool = False,
    webhook_handler: WebhookHandler | None = None,
) -> StandIn:
    """Serve a Stripe stand-in on host:port (0: any free port) in this event loop, sending its
    events to `webhook_url` (or to `webhook_handler`) signed with `webhook_secret`."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    url = f"http://{host}:{bound_port}"
    ref: list[StandIn] = []
    standin = StandIn(
        api=StripeStandIn(auto_onboard=auto_onboard, base_url=url),
        url=url,
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        webhook_handler=webhook_handler,
        _client=httpx.AsyncClient(timeout=10.0),
    )
    standin.api.on_event = standin._enqueue
    ref.append(standin)
    config = uvicorn.Config(_app(ref), log_level="warning", lifespan="off")
    server = _InProcessServer(config)
    standin._server = server
    standin._tasks = [
        asyncio.create_task(server.serve(sockets=[sock]), name="stand-in-server"),
        asyncio.create_task(standin._deliver(), name="stand-in-webhooks"),
    ]
    for _ in range(1000):
        if server.started:
            break
        if standin._tasks[0].done():
            await standin._tasks[0]  # raises the reason it could not start
        await asyncio.sleep(0.01)
    else:
        await standin.close()
        raise RuntimeError("the Stripe stand-in did not start")
    return standin
