"""The terminal as a chat platform (`coach chat`, `coach demo`): every reply type has a renderer."""

from handlers.console import render, render_team

__all__ = ["render", "render_team"]
