"""Exit with a message naming the setting to change when the service's port is taken.

`make run` calls this before anything else, so a busy port is said at once instead of
after the database, the demo data and a token. It reads the settings as the service does
(config.py: the environment, and `.env` in development).
"""

from __future__ import annotations

import errno
import os
import socket
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import load_config  # noqa: E402 - after the project is on the path


def main() -> int:
    settings = load_config()
    host, port = settings["API_HOST"], settings["API_PORT"]
    setting = "API_PORT"
    if os.environ.get("PORT"):  # the platform's port wins, as in gunicorn.conf.py
        host, port, setting = "0.0.0.0", int(os.environ["PORT"]), "PORT"
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            reason = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc})"
            print(
                f"Cannot serve on {host} port {port}: it {reason}. Stop what uses it, or set "
                f"{setting} in .env (or the environment) to a free port.",
                file=sys.stderr,
            )
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
