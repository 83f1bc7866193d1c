"""Files through Teams' file consent: what the coach can't show in a message (a large heatmap, a CSV).

A bot can't drop a file into a Teams chat. It offers the file with a FileConsentCard; when the person
presses Allow, Teams opens an upload session in their OneDrive and says so with a `fileConsent/invoke`
whose `uploadInfo` names it; the bot PUTs the bytes there and posts a FileInfoCard, which Teams shows as
the file. Decline, and nothing is uploaded. Teams shows consent cards only for an app whose manifest says
`supportsFiles: true`.

The bytes are not kept between the offer and the answer, which may come days later and to another
process: the coach makes the file again for the person who answers, with the command that makes that kind
of file (`REMAKE`), so their access is checked again and nothing waits in memory. The invoke is answered
with an empty 200: an invoke answer with a body is what botbuilder 4.17.1 mangles into a 500.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from botbuilder.core import MessageFactory
from botbuilder.schema import Activity, Attachment
from botbuilder.schema.teams import FileConsentCard, FileInfoCard, FileUploadInfo

from bot.chat.coach import Coach
from handlers.msteams.adaptive import card, text_blocks
from handlers.msteams.posting import THROTTLED, Backoff
from handlers.msteams.wire import message

log = logging.getLogger(__name__)

CONSENT = "fileConsent/invoke"
FILE_CONSENT = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO = "application/vnd.microsoft.teams.card.file.info"
REMAKE = {"image/png": "team", "text/csv": "team export"}
"""The typed command that makes each kind of file the coach sends: the team heatmap comes with `team`,
the team's CSV with `team export` (the same rows `team` attaches for a team too large to list)."""
WHAT = {"image/png": "a picture too large to show in the chat", "text/csv": "a spreadsheet (CSV)"}
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
UPLOAD_SECONDS = 30


def offer(name: str, data: bytes, mime: str) -> Activity:
    """The message offering a file to save to the person's OneDrive."""
    context = {"name": name, "mime": mime}
    consent = FileConsentCard(
        description=f"{name}: {WHAT.get(mime, 'a file')}. Allow it and Teams saves it to your OneDrive "
                    "(Microsoft Teams Chat Files), where only you can open it.",
        size_in_bytes=len(data), accept_context=context, decline_context=context)
    made = MessageFactory.attachment(Attachment(content_type=FILE_CONSENT, name=name, content=consent.serialize()))
    made.summary = f"A file for you to save: {name}"
    return made


@dataclass(frozen=True)
class ConsentAnswer:
    """What the person pressed on a file consent card, and for which kind of file."""

    allowed: bool
    mime: str
    upload: FileUploadInfo | None


def consent_answer(value: Any) -> ConsentAnswer | None:
    """The invoke's value read, or None when it is not an answer to one of the coach's offers (or the
    upload session is not somewhere the coach should send a manager's data: https, or this machine)."""
    if not isinstance(value, dict) or value.get("action") not in ("accept", "decline"):
        return None
    context = value.get("context")
    mime = context.get("mime") if isinstance(context, dict) else None
    if mime not in REMAKE:
        return None
    if value["action"] == "decline":
        return ConsentAnswer(False, mime, None)
    info = value.get("uploadInfo")
    if not isinstance(info, dict) or not all(isinstance(info.get(k), str) for k in ("uploadUrl", "name")):
        return None
    url = urlsplit(info["uploadUrl"])
    if not (url.scheme == "https" or (url.scheme == "http" and url.hostname in LOOPBACK)):
        return None
    return ConsentAnswer(True, mime, FileUploadInfo().deserialize(info))


class UploadFailed(Exception):
    """OneDrive did not take the file."""


async def answer_consent(coach: Coach, person_id: int, answer: ConsentAnswer, backoff: Backoff) -> Activity:
    """Upload the file the person allowed and return the message that shows it, or the notice that says
    why not (declined, no longer theirs to see, OneDrive failing)."""
    again = REMAKE[answer.mime]
    if not answer.allowed or answer.upload is None:
        return _notice(f"OK — I won't save it. Type **{again}** whenever you want it.")
    made = await coach.command(person_id, again, default="team")
    data = next((data for _, data, mime in made.attachments if mime == answer.mime), None)
    if data is None:
        return _notice(f"That file is no longer available. Type **{again}** for a new one.")
    try:
        await upload(answer.upload.upload_url, data, backoff)
    except UploadFailed as error:
        log.warning("could not upload a file to a Teams user's OneDrive: %s", error)
        return _notice(f"I couldn't save the file to your OneDrive just now. Type **{again}** in a minute "
                       "and allow it again.")
    info = answer.upload
    shown = Attachment(content_type=FILE_INFO, name=info.name, content_url=info.content_url,
                       content=FileInfoCard(unique_id=info.unique_id, file_type=info.file_type).serialize())
    made = MessageFactory.attachment(shown, text=f"Saved to your OneDrive: **{info.name}**")
    made.summary = f"Saved to your OneDrive: {info.name}"
    return made


async def upload(url: str, data: bytes, backoff: Backoff) -> None:
    """The whole file in one PUT to the upload session (OneDrive takes up to 60 MiB so), retried while
    OneDrive throttles or can't be reached."""
    headers = {"Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}"}
    problem = ""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=UPLOAD_SECONDS)) as http:
        for attempt in range(1, backoff.attempts + 1):
            try:
                async with http.put(url, data=data, headers=headers) as response:
                    if response.status < 300:
                        return
                    problem = f"OneDrive answered {response.status}"
                    if response.status not in THROTTLED:
                        break
            except (aiohttp.ClientError, TimeoutError) as error:  # the URL is a capability: never logged
                problem = f"OneDrive unreachable ({type(error).__name__})"
            if attempt < backoff.attempts:
                await asyncio.sleep(backoff.first * 2 ** (attempt - 1))
    raise UploadFailed(problem)


def _notice(text: str) -> Activity:
    return message(card(text_blocks(text)))
