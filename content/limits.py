"""What the chat platforms accept, checked when a pack is validated so that delivery never fails later.

Slack's Block Kit limits (https://api.slack.com/reference/block-kit): section text 3,000 chars, button text
75, header 150, 50 blocks a message, 25 elements an actions block. Teams renders at most 6 actions in an
action set and cards of about 28 KB.
"""

from __future__ import annotations

BUTTON_LABEL = 75
"""A Slack button's text; every answer option becomes one."""

SECTION = 3000
"""A Slack section's text; a lesson paragraph, a question or an explanation must fit in one."""

OPTIONS_MIN = 2
OPTIONS_MAX = 6
"""Teams shows at most six actions in a set; two is the least that makes a question."""

QUESTION = 1000
EXPLAIN = 1500
PROMPT = 1000
BODY = 12_000
"""Lessons are read in two to three minutes; this also keeps a card far below Teams' 28 KB."""

TITLE = 120
COMPETENCY_NAME = 60
"""Competency names appear inside buttons ("Focus on …") and heatmap labels."""

ID = 64
TAG = 60
ASK = 200
"""An example question in a lesson's `asks:`: what someone would type, one line."""
ASKS_MAX = 20
MEDIA_URL = 2000
MINUTES_MAX = 15

FORMATS = ("text", "video", "scenario", "reflection", "task")
LEVELS = (1, 2, 3)
