"""The one exception type the CLI turns into a one-line message.

Anything a user can cause (a bad config value, a missing folder, a foreign checkpoint)
raises :class:`SigbenchError` with a message that names the file, key or value and says
what would be right. Everything else is a bug and keeps its traceback. :func:`plural`
counts things in those messages and in the CLI's lines.
"""


class SigbenchError(Exception):
    """A problem with the user's input, reported as one line without a traceback."""


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """``1 seed``, ``2 seeds``, ``1,000 images``: a count with its noun, for messages."""
    return f"{count:,} {noun if count == 1 else plural_form or noun + 's'}"
