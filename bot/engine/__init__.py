"""The adaptive engine: mastery per competency, spaced review, and which lesson comes next."""
