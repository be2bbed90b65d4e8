"""The one exception type users see for bad input: its message says what to change."""


class NeedlesError(ValueError):
    """Bad configuration or input; the message names the parameter, file or line to fix."""
