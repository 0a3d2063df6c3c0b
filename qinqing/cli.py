"""The `qinqing` command: `serve` starts the platform; every Django management command works too."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["qinqing", *argv])
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
