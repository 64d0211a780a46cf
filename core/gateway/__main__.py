"""`python -m core.gateway [--host H] [--port P] [--workers N]`: the gateway without the CLI
(what `lcn bench gateway` starts as its server process). Settings come from LCN_* variables."""

from __future__ import annotations

import argparse

from core.config import Settings
from core.gateway.server import serve


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m core.gateway")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args()
    serve(
        Settings(),
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
    )


if __name__ == "__main__":
    main()
