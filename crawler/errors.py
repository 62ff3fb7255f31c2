"""The root of newshub's expected failures: the CLI prints their message as one line."""


class NewshubError(Exception):
    """A failure the user can act on; `str(error)` is one line meant for them."""
