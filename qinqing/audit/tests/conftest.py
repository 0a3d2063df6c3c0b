from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _own_audit_dir(settings: Any, tmp_path: Path) -> Path:
    """Each test anchors to its own checkpoint file (the database is rolled back after each test)."""
    settings.QINQING_AUDIT_DIR = tmp_path / "audit"
    return settings.QINQING_AUDIT_DIR


@pytest.fixture
def key_file(settings: Any, tmp_path: Path) -> Path:
    """A copy of the session's key file (the demo's records are sealed with it) that a test may rotate."""
    copy = tmp_path / "audit-keys.json"
    from qinqing.audit.keys import keyring

    keyring()  # make sure the session's file exists
    copy.write_bytes(Path(settings.QINQING_AUDIT_KEY_FILE).read_bytes())
    settings.QINQING_AUDIT_KEY_FILE = copy
    return copy
