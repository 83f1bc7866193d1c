"""Errors a person reads: each says what went wrong and what to do next."""


class CoachError(Exception):
    """A problem the CLI or the chat reports as one sentence, never as a traceback."""


class UnknownPerson(CoachError):
    def __init__(self, email: str) -> None:
        super().__init__(f"no one with the email {email} is in the org chart (load it with `coach org import`)")
        self.email = email
