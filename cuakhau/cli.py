"""The ``cuakhau`` console command: Django's management commands under one name.

``cuakhau serve``, ``cuakhau migrate``, ``cuakhau seed-demo``, ``cuakhau seed-reference`` …;
dashes and underscores are interchangeable.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    if len(args) > 1 and not args[1].startswith("-"):
        args[1] = args[1].replace("-", "_")
    args[0] = "cuakhau"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cuakhau.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)


if __name__ == "__main__":
    main()
