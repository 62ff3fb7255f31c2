"""The root of newshub's expected failures: the CLI prints their message as one line."""

from __future__ import annotations

import importlib.util


class NewshubError(Exception):
    """A failure the user can act on; `str(error)` is one line meant for them."""


def require_extra(module: str, extra: str, purpose: str) -> None:
    """Say which extra to install when an optional module is missing.

    Only a module that is not installed is reported this way: an installed one that fails to
    import fails loudly at its own import, never hidden behind this message.
    """
    if importlib.util.find_spec(module) is None:
        raise NewshubError(f"{purpose} needs {module}: pip install 'newshub[{extra}]'")
