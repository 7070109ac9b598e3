"""Entry point for `otp`, `otpcli` and `python -m otpcli`.

`otp --version` is answered before Typer is imported: scripts call it often and the
budget (DESIGN §5) is twice a bare interpreter start.
"""

from __future__ import annotations

import sys


def main() -> int:
    if sys.argv[1:] == ["--version"]:
        from otpcli import __version__

        sys.stdout.write(f"otp {__version__}\n")
        return 0
    from otpcli.cli.app import main as app_main

    return app_main()


if __name__ == "__main__":
    sys.exit(main())
