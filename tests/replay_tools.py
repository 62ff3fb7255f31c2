"""The replay tools venv the tests use: pywb (`wayback`) and py-wacz (`wacz validate`).

They pin libraries newshub cannot share (see newshub_archive.replay), so they have their own venv:
$NEWSHUB_PYWB_VENV, else `.pywb-venv` in the repository (what .ci/run creates), installed
from PyPI on first use. Without it and without PyPI the tests skip, except in CI.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

from newshub_archive.replay import PYWB_REQUIREMENT, ReplayError, install_tools

WACZ_REQUIREMENT = "wacz==0.6.0"
REPO = Path(__file__).resolve().parent.parent


@functools.cache
def tools_venv() -> Path:
    venv = Path(os.environ.get("NEWSHUB_PYWB_VENV") or REPO / ".pywb-venv")
    if all((venv / "bin" / tool).exists() for tool in ("wayback", "wacz")):
        return venv
    try:
        install_tools(venv, [PYWB_REQUIREMENT, WACZ_REQUIREMENT])
    except ReplayError as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{exc} (CI=true: replay tests must run)")
        pytest.skip(str(exc))
    return venv
