"""The systemd units of ``deploy/systemd/``: valid for systemd, hardened, and stopping in time.

``systemd-analyze verify`` reads them as systemd would (unknown keys, bad
values, a command that is not there); ``systemd-analyze security`` scores
their sandboxing. Their ``ExecStart`` points at this checkout's ``equipage``
for the check, as an installation's would at its own.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.deploy.servers import ROOT

UNITS = ROOT / "deploy" / "systemd"
NAMES = ("equipage-migrate.service", "equipage-web.service", "equipage-worker.service")
INSTALLED_COMMAND = "/opt/equipage/venv/bin/equipage"


def systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    assert found, "systemd-analyze is missing: install Debian's 'systemd' package"
    return found


def installed_copies(tmp_path: Path) -> list[Path]:
    command = Path(sys.executable).parent / "equipage"
    assert command.exists(), f"no equipage command next to {sys.executable}"
    copies = []
    for name in NAMES:
        text = (UNITS / name).read_text()
        assert INSTALLED_COMMAND in text
        copy = tmp_path / name
        copy.write_text(text.replace(INSTALLED_COMMAND, str(command)))
        copies.append(copy)
    return copies


def directives(name: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in (UNITS / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def seconds(value: str) -> float:
    units = {"s": 1, "min": 60, "h": 3600}
    for suffix, factor in units.items():
        if value.endswith(suffix) and value[: -len(suffix)].isdigit():
            return float(value[: -len(suffix)]) * factor
    return float(value)


def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    copies = installed_copies(tmp_path)
    done = subprocess.run(
        [systemd_analyze(), "verify", "--man=no", *map(str, copies)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    # Unknown keys and bad values are only warned about: any output is a failure.
    assert done.returncode == 0 and not done.stdout.strip() and not done.stderr.strip(), (
        done.stdout + done.stderr
    )


def test_the_units_are_sandboxed(tmp_path: Path) -> None:
    for copy in installed_copies(tmp_path):
        done = subprocess.run(
            [systemd_analyze(), "security", "--offline=true", "--threshold=30", str(copy)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
        assert done.returncode == 0, f"{copy.name} is exposed:\n{done.stdout[-1500:]}"


def test_each_unit_reads_the_environment_file_and_writes_only_its_data_directory() -> None:
    for name in NAMES:
        unit = directives(name)
        assert unit["EnvironmentFile"] == ["/etc/equipage/equipage.env"]
        assert unit["ProtectSystem"] == ["strict"] and unit["NoNewPrivileges"] == ["yes"]
        assert unit["PrivateTmp"] == ["yes"]
        assert unit["ReadWritePaths"] == ["/var/lib/equipage"]
        assert "EQUIPAGE_DATA_DIR=/var/lib/equipage" in unit["Environment"]


def test_web_and_worker_restart_on_failure_after_migrating() -> None:
    web, worker = directives("equipage-web.service"), directives("equipage-worker.service")
    assert web["ExecStart"][0].endswith("equipage serve --no-worker --host 127.0.0.1 --port 8000")
    assert worker["ExecStart"][0].endswith("equipage worker")
    for unit in (web, worker):
        assert unit["Restart"] == ["on-failure"]
        assert "equipage-migrate.service" in unit["After"][0]
    assert directives("equipage-migrate.service")["Type"] == ["oneshot"]


def test_systemd_waits_longer_than_the_workers_grace_period() -> None:
    from django.conf import settings

    from equipage.cli.serve import STOP_MARGIN_SECONDS

    grace = settings.EQUIPAGE_WORKER_GRACE_SECONDS  # its default, unless the environment says
    example = (UNITS / "equipage.env.example").read_text()
    assert f"EQUIPAGE_WORKER_GRACE_SECONDS={grace:g}" in example
    stop = seconds(directives("equipage-worker.service")["TimeoutStopSec"][0])
    assert stop >= grace + STOP_MARGIN_SECONDS
