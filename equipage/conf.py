"""Reading the environment: data directory, secret key, database, SMTP, base URL."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit


class ConfigError(Exception):
    """A setting in the environment cannot be used; the message says which and why."""


def data_dir() -> Path:
    path = Path(os.environ.get("EQUIPAGE_DATA_DIR") or "./var").expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def secret_key(directory: Path) -> str:
    """Return ``EQUIPAGE_SECRET_KEY`` or a key generated once into the data directory."""
    if key := os.environ.get("EQUIPAGE_SECRET_KEY"):
        return key
    path = directory / "secret_key"
    if not path.exists():
        # Written aside, then linked into place: of processes started at once on a
        # fresh data directory, the first one's key wins and none reads a half-written file.
        draft = directory / f".secret_key.{os.getpid()}"
        draft.write_text(secrets.token_urlsafe(50))
        draft.chmod(0o600)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


def database(directory: Path) -> dict[str, Any]:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        import dj_database_url

        if not url.startswith(("postgres://", "postgresql://", "sqlite:")):
            raise ConfigError("DATABASE_URL must be a postgres:// URL (or unset for SQLite).")
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        if config["ENGINE"].endswith("postgresql"):
            return {**dict(config), "OPTIONS": _postgres_options()}
        return {**dict(config), **_sqlite(), "NAME": config["NAME"]}
    return {**_sqlite(), "NAME": str(directory / "equipage.sqlite3")}


def _postgres_options() -> dict[str, Any]:
    """Server-side binding, so that PostgreSQL keeps the plans of the statements a connection
    runs again and again (after 5 runs) instead of planning them on every request (#20).

    ``EQUIPAGE_PG_PREPARED_STATEMENTS=0`` turns it off, for a connection pooler that cannot
    keep prepared statements (PgBouncer before 1.21 in transaction mode).
    """
    if os.environ.get("EQUIPAGE_PG_PREPARED_STATEMENTS", "1").strip() == "0":
        return {}
    return {"server_side_binding": True, "prepare_threshold": 5}


def _sqlite() -> dict[str, Any]:
    return {
        # Django's SQLite backend, with connections kept while their file is the same one
        # (core/sqlite3/base.py): checked before each request's first query.
        "ENGINE": "equipage.core.sqlite3",
        "CONN_MAX_AGE": SQLITE_CONNECTION_SECONDS,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": _sqlite_options(),
    }


# A web thread or the worker keeps its SQLite connection this long (then opens it again).
SQLITE_CONNECTION_SECONDS = 600


def _sqlite_options() -> dict[str, Any]:
    return {
        # WAL lets readers work while one writer writes; IMMEDIATE takes the write
        # lock at BEGIN, so concurrent writers queue instead of failing on upgrade.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }


def mailers(directory: Path) -> dict[str, Any]:
    """Build Django's ``MAILERS`` from ``EQUIPAGE_SMTP_URL`` (or the ``.eml`` directory)."""
    url = os.environ.get("EQUIPAGE_SMTP_URL", "").strip()
    if not url:
        return {
            "default": {
                "BACKEND": "equipage.emails.backends.EmlDirectoryBackend",
                "OPTIONS": {"directory": str(directory / "mail")},
            }
        }
    parts = urlsplit(url)
    schemes = {"smtp": {}, "smtps": {"use_ssl": True}, "smtp+starttls": {"use_tls": True}}
    if parts.scheme not in schemes or not parts.hostname:
        raise ConfigError(
            "EQUIPAGE_SMTP_URL must look like smtp://[user:pass@]host:port "
            "(or smtps://, smtp+starttls://)."
        )
    options: dict[str, Any] = {
        "host": parts.hostname,
        "port": parts.port
        or (465 if parts.scheme == "smtps" else 587 if "starttls" in parts.scheme else 25),
        "timeout": 10,
        **schemes[parts.scheme],
    }
    if parts.username:
        options["username"] = unquote(parts.username)
        options["password"] = unquote(parts.password or "")
    return {
        "default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": options}
    }


def mail_configured() -> bool:
    return bool(os.environ.get("EQUIPAGE_SMTP_URL", "").strip())


def seconds(name: str, default: float) -> float:
    """A duration in seconds from the environment variable ``name`` (0 or more)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise ConfigError(f"{name} must be a number of seconds (0 or more), not {raw!r}.")
    return value


# --- Reverse proxy, hosts and the shared cache (issue #14: shared limits, proxy in front) ---


def trusted_proxies() -> list[str]:
    """Return ``EQUIPAGE_TRUSTED_PROXIES`` as normalised networks (``10.0.0.0/8``, ``::1/128``)."""
    import ipaddress

    networks = []
    for item in os.environ.get("EQUIPAGE_TRUSTED_PROXIES", "").replace(" ", "").split(","):
        if not item:
            continue
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ConfigError(
                f"EQUIPAGE_TRUSTED_PROXIES: {item!r} is not an IP address or a CIDR network."
            ) from None
    return networks


# Names a probe or an operator's curl on the node itself uses; they cannot be reached
# from elsewhere unless the proxy forwards them, which it does not (it sends its Host).
LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"]


def allowed_hosts(base_url: str) -> list[str]:
    """Return the hosts Django answers for: ``EQUIPAGE_ALLOWED_HOSTS``, else the base URL's.

    A base URL on a loopback address (nobody configured a public one, e.g.
    ``serve --host 0.0.0.0`` on a LAN) accepts any host, as before.
    """
    if explicit := os.environ.get("EQUIPAGE_ALLOWED_HOSTS", "").strip():
        return [h.strip() for h in explicit.split(",") if h.strip()]
    host = urlsplit(base_url).hostname or ""
    if _is_local(host):
        return ["*"]
    return [f"[{host}]" if ":" in host else host, *LOOPBACK_HOSTS]  # Django brackets IPv6


def _is_local(host: str) -> bool:
    import ipaddress

    if host in ("", "localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def caches() -> dict[str, Any]:
    """Build ``CACHES``: the database (shared by every node) unless ``EQUIPAGE_CACHE_URL`` is Redis."""
    url = os.environ.get("EQUIPAGE_CACHE_URL", "").strip()
    if not url:
        return {
            "default": {
                "BACKEND": "equipage.core.cache.DatabaseCache",
                "LOCATION": "equipage_cache",
                "OPTIONS": {"MAX_ENTRIES": 20000},
            }
        }
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("EQUIPAGE_CACHE_URL must be a redis:// URL (or unset for the database).")
    return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
