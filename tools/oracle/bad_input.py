"""BadInput: the error for a run folder the oracle cannot check (exit 2)."""


class BadInput(Exception):
    """The run folder cannot be checked; the message says why, in one line."""
