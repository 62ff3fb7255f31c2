"""What `pip install .` ships: every package of the tree, and no generic top-level name.

The repository keeps Alembic's `migrations/` folder at its top, but it installs as
`newshub_migrations`; a wheel that shipped a top-level `migrations` package would collide with
any other distribution that does the same. The wheel is built and installed into a fresh venv,
and `newshub db upgrade` runs from it in an unrelated directory.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest
from setuptools import find_packages

ROOT = Path(__file__).resolve().parent.parent


def _declared() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    return set(config["packages"])


def test_every_package_of_the_tree_is_declared() -> None:
    found = set(find_packages(str(ROOT), include=["crawler*", "pipelines*", "newshub_archive*"]))
    found |= {
        f"newshub_migrations{p.removeprefix('migrations')}"
        for p in find_packages(str(ROOT), include=["migrations*"])
    }
    assert found == _declared()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
         "-w", str(out), str(ROOT)],
        check=True,
        timeout=300,
    )  # fmt: skip
    return next(out.glob("newshub-*.whl"))


def test_the_wheel_has_no_generic_migrations_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top == {"crawler", "pipelines", "newshub_archive", "newshub_migrations"}
    assert "newshub_migrations/versions/0001_initial_schema.py" in names
    assert "newshub_migrations/script.py.mako" in names


def test_db_upgrade_from_the_installed_wheel_elsewhere(wheel: Path, tmp_path: Path) -> None:
    """A fresh venv holding only the wheel; its dependencies come from this environment."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    target = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    # Dependencies from this test environment's site-packages, without its .pth files (so the
    # editable install of the checkout stays out of the way).
    deps = sysconfig.get_paths()["purelib"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    database = elsewhere / "data" / "newshub.db"
    run = subprocess.run(
        [str(python), "-c", "from crawler.cli import main; main()", "db", "upgrade"],
        cwd=elsewhere,
        env={"PYTHONPATH": deps, "NEWSHUB_DATABASE_URL": f"sqlite:///{database}", "PATH": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    located = subprocess.run(
        [str(python), "-c", "import newshub_migrations, crawler; "
         "print(newshub_migrations.__file__); print(crawler.__file__)"],
        cwd=elsewhere, env={"PYTHONPATH": deps}, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert all(path.startswith(target) for path in located), located
    assert database.exists()
