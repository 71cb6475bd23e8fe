"""``equipage serve``: the web app (gunicorn) and the background worker, together."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from typing import Any

from equipage.cli.bootstrap import out, setup_django


def register(sub: Any, groups: dict[str, Any]) -> None:
    parser = sub.add_parser("serve", help="run the web app and the worker")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--workers", type=int, default=int(os.environ.get("EQUIPAGE_WEB_WORKERS", "3"))
    )
    parser.add_argument(
        "--no-worker", action="store_true", help="do not start the background worker"
    )
    parser.set_defaults(handler=serve, needs_django=False)


def serve(args: argparse.Namespace) -> int:
    # Links in mails point at the address we listen on unless told otherwise.
    shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    os.environ.setdefault("EQUIPAGE_BASE_URL", f"http://{shown_host}:{args.port}")
    setup_django()
    from django.conf import settings
    from gunicorn.app.base import BaseApplication

    from equipage.wsgi import application

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{args.host}:{args.port}")
            self.cfg.set("workers", max(args.workers, 1))
            self.cfg.set("threads", 4)
            self.cfg.set("timeout", 120)
            # X-Forwarded-* are Django's to judge (EQUIPAGE_TRUSTED_PROXIES), never gunicorn's.
            self.cfg.set("forwarded_allow_ips", "")
            self.cfg.set("accesslog", "-" if os.environ.get("EQUIPAGE_ACCESS_LOG") else None)

        def load(self) -> Any:
            return application

    worker = None
    if not args.no_worker:
        worker = subprocess.Popen(
            [sys.executable, "-m", "equipage", "worker"], env=os.environ.copy()
        )
    out(f"Equipage listening on http://{shown_host}:{args.port}/ (data: {settings.DATA_DIR})")
    if not settings.EQUIPAGE_MAIL_CONFIGURED:
        out(
            f"Mail is not configured (EQUIPAGE_SMTP_URL): mails are written to {settings.DATA_DIR / 'mail'}"
        )
    try:
        Server().run()
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
    return 0
