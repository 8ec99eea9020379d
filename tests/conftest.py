"""Fixtures shared by the whole suite."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ["tests.api_fixtures"]

PROJECT_DIR = Path(__file__).resolve().parent.parent


def run_manage(*args: str, env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess:
    """Run ``manage.py`` in a fresh interpreter with exactly the given environment (plus PATH)."""
    clean_env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(PROJECT_DIR), **env}
    return subprocess.run(
        [sys.executable, str(PROJECT_DIR / "manage.py"), *args],
        cwd=PROJECT_DIR,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def manage():
    return run_manage
