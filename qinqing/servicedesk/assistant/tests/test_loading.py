"""Loading: nothing heavy at import or Django start-up, and jieba stays quiet."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]

SCRIPT = """
import sys
import django
django.setup()
import qinqing.servicedesk.assistant as assistant
print("bm25s" in sys.modules, "qinqing.servicedesk.assistant.ranking" in sys.modules)
result = assistant.answer("社保增员怎么办")
print(result.citations[0].key, result.handover)
"""


def test_importing_the_assistant_builds_nothing_and_jieba_prints_nothing(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "qinqing.settings", "QINQING_DATA_DIR": str(tmp_path),
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, check=True)
    loaded, answered = done.stdout.strip().splitlines()
    assert loaded == "False False"
    assert answered == "ins-01 False"
    assert "prefix dict" not in done.stderr and "Loading model" not in done.stderr
    assert list((tmp_path / "cache").glob("assistant-*.json"))
