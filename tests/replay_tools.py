"""The replay tools venv the tests use: pywb (`wayback`) and py-wacz (`wacz validate`).

They pin libraries newshub cannot share (see newshub_archive.replay), so they have their own venv:
$NEWSHUB_PYWB_VENV, else `.pywb-venv` in the repository (what .ci/run creates). CI installs it
from PyPI when missing (a minute or two); elsewhere the tests that need it skip and say the
command that installs it, so the README's test command never spends that time unasked.
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
    if os.environ.get("CI", "").lower() not in ("1", "true", "yes"):
        pytest.skip(
            f"pywb and py-wacz are not installed in {venv}: run `python3 -m venv {venv} && "
            f"{venv}/bin/pip install '{PYWB_REQUIREMENT}' '{WACZ_REQUIREMENT}'` "
            "(or point NEWSHUB_PYWB_VENV at such a venv)"
        )
    try:
        install_tools(venv, [PYWB_REQUIREMENT, WACZ_REQUIREMENT])
    except ReplayError as exc:
        pytest.fail(f"{exc} (CI=true: replay tests must run)")
    return venv
