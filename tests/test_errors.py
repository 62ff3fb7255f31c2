"""Optional extras: a missing one is named with its install command; a present one passes."""

from __future__ import annotations

import pytest

from crawler.errors import NewshubError, require_extra


def test_a_missing_extra_names_the_install_command() -> None:
    with pytest.raises(NewshubError, match=r"^Parquet export needs no_such_mod: pip install "):
        require_extra("no_such_mod", "parquet", "Parquet export")


def test_an_installed_module_passes() -> None:
    require_extra("sqlalchemy", "postgres", "anything")
