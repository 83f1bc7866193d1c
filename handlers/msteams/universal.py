"""Universal Actions on the wire: reading an `adaptiveCard/action` invoke (an `Action.Execute` pressed, or a
card refreshing itself) and writing its answer.

botbuilder 4.17.1 can't do either reliably, so both are done here (and pinned by
`tests/msteams/test_universal.py::test_botbuilder_4_17_1_still_cannot_answer_card_actions_itself`):
- its aiohttp `CloudAdapter.process` serialises the answer a second time (`serializer_helper` on a dict),
  so every card it should return becomes a 500 — the coach's endpoint writes the body itself;
- `ActivityHandler._get_adaptive_card_invoke_value` answers a malformed value with an
  `AdaptiveCardInvokeResponse` whose `value` is an `Exception`, which nothing can serialise (another 500)
  — the value is read here and a bad one answered with a plain 400;
- it warns on every refresh, because Teams' `trigger` is not an attribute of `AdaptiveCardInvokeValue`.
The answer is the JSON Teams documents: `{"statusCode": 200, "type": "application/vnd.microsoft.card.adaptive",
"value": <the card>}` to replace the pressed card for that person, or a `…activity.message` to leave it.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from botbuilder.core import BotAdapter, InvokeResponse, TurnContext
from botbuilder.schema import AdaptiveCardInvokeResponse, AdaptiveCardInvokeValue
from botframework.connector.auth import AuthenticateRequestResult

from handlers.msteams.adaptive import EXECUTE, Card

INVOKE = "adaptiveCard/action"
CARD = "application/vnd.microsoft.card.adaptive"
MESSAGE = "application/vnd.microsoft.activity.message"
ERROR = "application/vnd.microsoft.error"
AUTOMATIC = "automatic"
"""The `trigger` of a refresh Teams started on its own (a person's press is "manual")."""


@dataclass(frozen=True)
class Press:
    """A pressed Action.Execute: its verb, and its data with the card's inputs merged in — the same data an
    Action.Submit would bring as a message's `value`, with the verb as its `action`."""

    verb: str
    data: dict[str, Any]
    automatic: bool = False

    @classmethod
    def of(cls, value: AdaptiveCardInvokeValue, trigger: Any = None) -> Press:
        action = value.action or {}
        data = action.get("data") if isinstance(action.get("data"), dict) else {}
        verb = str(action["verb"])
        return cls(verb, {**data, "action": verb}, trigger == AUTOMATIC)


def invoke_value(value: Any) -> tuple[AdaptiveCardInvokeValue, Any] | str:
    """The invoke's value and its trigger, or why it is not one an Action.Execute sends."""
    if not isinstance(value, dict):
        return "the invoke has no value"
    action = value.get("action")
    if not isinstance(action, dict):
        return "the invoke's value has no action"
    if action.get("type") != EXECUTE:
        return f"the action {str(action.get('type'))[:40]!r} is not supported, only {EXECUTE}"
    if not isinstance(action.get("verb"), str) or not action["verb"]:
        return "the action has no verb"
    if "data" in action and not isinstance(action["data"], dict):
        return "the action's data is not an object"
    return AdaptiveCardInvokeValue(action=action, state=value.get("state")), value.get("trigger")


def card_answer(card: Card) -> AdaptiveCardInvokeResponse:
    """Replace the pressed card with `card`, for the person who pressed."""
    return AdaptiveCardInvokeResponse(status_code=int(HTTPStatus.OK), type=CARD, value=card)


def message_answer(text: str) -> AdaptiveCardInvokeResponse:
    """Leave the card as it is; Teams shows `text` by it for a moment."""
    return AdaptiveCardInvokeResponse(status_code=int(HTTPStatus.OK), type=MESSAGE, value=text)


def error_answer(status: HTTPStatus, message: str) -> AdaptiveCardInvokeResponse:
    code = "BadRequest" if status == HTTPStatus.BAD_REQUEST else status.phrase.replace(" ", "")
    return AdaptiveCardInvokeResponse(status_code=int(status), type=ERROR, value={"code": code, "message": message})


def invoke_response(answer: AdaptiveCardInvokeResponse) -> InvokeResponse:
    """The answer as the HTTP response: plain JSON, never through the SDK's serializer. An error is also the
    HTTP status (a clear 4xx); a card or a message is a 200."""
    body = {"statusCode": answer.status_code, "type": answer.type, "value": answer.value}
    status = answer.status_code if answer.type == ERROR else int(HTTPStatus.OK)
    return InvokeResponse(status=status, body=body)


def request_identity(turn_context: TurnContext) -> AuthenticateRequestResult:
    """Who the request was authenticated as, to continue its conversation after answering it (the same
    identity `later.LaterTurns` gets from the endpoint for messages)."""
    identity = AuthenticateRequestResult()
    identity.claims_identity = turn_context.turn_state.get(BotAdapter.BOT_IDENTITY_KEY)
    identity.audience = turn_context.turn_state.get(BotAdapter.BOT_OAUTH_SCOPE_KEY)
    identity.caller_id = turn_context.activity.caller_id
    return identity
