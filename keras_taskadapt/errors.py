"""The one exception type for mistakes a user can fix."""


class UserError(Exception):
    """A bad path, column, option or file that the user can correct.

    The command line prints ``error: <message>`` on one line and exits with status 2;
    library callers catch it like any other exception. The message names the thing at
    fault (file, column, data set) and, where there is one, the option that fixes it.
    """
