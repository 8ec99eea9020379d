"""The layering contracts in `.importlinter` (run by `make lint`) hold, and they do fail on a forbidden import."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["registry", "projects", "indicators", "bench"]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree_copy(tmp_path):
    """The apps' Python files and the contracts, copied so that a test can add a forbidden import."""
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc", "static", "templates")
        )
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


def test_layers_contracts_hold_in_the_repository():
    result = lint_imports(ROOT)

    assert result.returncode == 0, result.stdout
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "forbidden", "broken"),
    [
        ("registry/api/views.py", "from projects import visibility", "registry is not allowed to import projects"),
        ("projects/stats.py", "from indicators import models", "projects is not allowed to import indicators"),
        (
            "projects/models.py",
            "from projects import services",
            "projects.models is not allowed to import projects.services",
        ),
        (
            "indicators/services.py",
            "from indicators import admin",
            "indicators.services is not allowed to import indicators.admin",
        ),
        ("projects/services.py", "from bench import synthetic", "projects is not allowed to import bench"),
    ],
)
def test_layers_contracts_fail_on_a_forbidden_import(tree_copy, module, forbidden, broken):
    path = tree_copy / module
    path.write_text(path.read_text() + f"\n{forbidden}  # added by the test\n")

    result = lint_imports(tree_copy)

    assert result.returncode == 1
    assert broken in " ".join(result.stdout.split())
