"""The one exception type the CLI turns into a one-line message.

Anything a user can cause (a bad config value, a missing folder, a foreign checkpoint)
raises :class:`SigbenchError` with a message that names the file, key or value and says
what would be right. Everything else is a bug and keeps its traceback.
"""


class SigbenchError(Exception):
    """A problem with the user's input, reported as one line without a traceback."""
