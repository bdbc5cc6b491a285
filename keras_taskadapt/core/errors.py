"""The one exception type for values a caller can fix."""


class TaskAdaptError(ValueError):
    """A bad value, path, column or file that the caller can correct.

    Library code raises it with a message that names the value at fault, the way Keras'
    layers do ("Received: quality=0"), and, where one parameter is to blame, that
    parameter's name in ``parameter``. The command line prints ``error: <message>`` on one
    line, prefixed with the option that sets ``parameter`` when there is one, and exits
    with status 2; library callers catch it like any other ``ValueError``.
    """

    def __init__(self, message, *, parameter=None):
        super().__init__(message)
        self.parameter = parameter


class DamagedDataError(TaskAdaptError):
    """A record or file of a data set that does not decode; the message names it. Reading
    around damaged data (``skip_corrupt``) skips and counts it instead."""


def error_summary(error):
    """The first line of an exception's message (its type's name when it has none), for the
    one-line errors of the command line."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
