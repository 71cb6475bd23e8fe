"""Benchmark the roster import through the ``equipage`` CLI against a raw floor.

Generates realistic French rosters (accents, compound and apostrophe names,
~85% with an e-mail), then times, as a user runs it:

  (a) a fresh N-row import into a new organization;
  (b) a sync of the next month's file (5% absent, 10% changed, 10% new);
  (c) the coordinator's round trip: the roster exported, and that file imported
      back (which must change nothing; shown for information, no target);

and, in the same run, two raw floors, each in one transaction with the plain
driver (``sqlite3`` ``executemany``, or COPY on PostgreSQL when ``DATABASE_URL``
is set):

- the schema floor: the same parse and the same sync written into a copy of the
  real database (member rows with every index and the search index, role rows,
  one audit row per changed member); the run fails if it does not leave the
  roster the import left. The ratio to it is what the import's own work costs.
- the bare-table floor: the same parse and sync into a one-index table of six
  text columns, the least any sync can cost.

Prints medians, both ratios and the peak RSS of each CLI process.

    .venv/bin/python benchmarks/import_sync.py --rows 100000 --repeat 3
    DATABASE_URL=postgres://postgres@127.0.0.1:54329/eq_bench .venv/bin/python benchmarks/import_sync.py
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

FIRST = [
    "Élodie",
    "Jean-Pierre",
    "Marie-Claire",
    "Zoé",
    "Loïc",
    "Anaïs",
    "Hélène",
    "François",
    "Cédric",
    "Noémie",
    "Jérôme",
    "Maëlle",
    "Gaël",
    "Inès",
    "Benoît",
    "Agnès",
    "Thérèse",
    "Raphaël",
    "Léa",
    "Chloé",
    "Océane",
    "Théo",
    "Clément",
    "Aurélien",
    "Sébastien",
    "Mélanie",
    "Céline",
    "Stéphane",
    "Frédéric",
    "Valérie",
    "Joël",
    "Anne-Sophie",
    "Pierre-Louis",
    "Amélie",
    "Maïwenn",
]
LAST = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Lefebvre",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "D'Artagnan",
    "N'Diaye",
    "L'Hôte",
    "D'Almeida",
    "Le",
    "Goff",
    "De",
    "La",
    "Fontaine",
    "Œuvray",
    "Brûlé",
    "Gérard",
    "Besançon",
]
HEADER = ["Identifiant", "Nom", "Prénom", "Adresse e-mail", "Mot de passe", "État"]
DOMAINS = ("exemple.fr", "entreprise.fr", "mairie-lyon.fr", "asso.org")


def make_people(n: int, rng: random.Random, start: int = 0) -> list[list[str]]:
    from unidecode import unidecode

    people = []
    for i in range(start, start + n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        base = unidecode(f"{first}.{last}").lower().replace(" ", "-").replace("'", "-")
        login = f"{base}.{i}"
        email = f"{login}@{rng.choice(DOMAINS)}" if rng.random() < 0.85 else ""
        people.append([login, last, first, email, "", "Activé"])
    return people


def next_month(people: list[list[str]], rng: random.Random) -> list[list[str]]:
    n = len(people)
    kept = [list(p) for p in people if rng.random() >= 0.05]
    for p in rng.sample(kept, k=min(len(kept), n // 10)):
        if rng.random() < 0.5:
            p[1] = rng.choice(LAST)
        else:
            p[3] = f"{p[0]}@{rng.choice(DOMAINS)}" if p[3] else ""
            p[1] = p[1] + "-" + rng.choice(LAST)
    return kept + make_people(n // 10, rng, start=n * 2)


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADER)
        writer.writerows(rows)


def _peak_rss_mb(pid: int) -> float | None:
    """Return the process's own peak RSS (``VmHWM``), or None once it has exited."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def run_cli(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run ``equipage ARGS`` and return (seconds, its peak RSS in MB, stdout).

    The peak is the child's own ``VmHWM``, read every 20 ms while it runs: the
    ``ru_maxrss`` that ``wait4`` reports carries over the RSS of this process
    at the fork (Linux keeps it across ``exec``), which holds the rosters.
    """
    exe = shutil.which("equipage", path=str(Path(sys.executable).parent)) or "equipage"
    start = time.perf_counter()
    proc = subprocess.Popen([exe, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = [0.0]

    def watch() -> None:
        while proc.poll() is None:
            found = _peak_rss_mb(proc.pid)
            if found is not None:
                peak[0] = max(peak[0], found)
            time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    out, err = proc.communicate()
    elapsed = time.perf_counter() - start
    watcher.join()
    if proc.returncode != 0:
        raise SystemExit(f"equipage {' '.join(args)} failed:\n{err.decode()[-3000:]}")
    return elapsed, peak[0], out.decode()


def read_rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=";")
        next(reader)
        return list(reader)


def floor_sqlite(db: Path, path: Path) -> float:
    """Parse the file and sync it into a plain table with executemany, one transaction."""
    start = time.perf_counter()
    rows = read_rows(path)
    con = sqlite3.connect(db)
    con.execute(
        "CREATE TABLE IF NOT EXISTS m (id INTEGER PRIMARY KEY, login TEXT UNIQUE, last TEXT,"
        " first TEXT, email TEXT, state TEXT)"
    )
    with con:
        current = {
            r[0]: r[1:] for r in con.execute("SELECT login, last, first, email, state FROM m")
        }
        new, changed, seen = [], [], set()
        for login, last, first, email, _pw, _state in rows:
            seen.add(login)
            old = current.get(login)
            if old is None:
                new.append((login, last, first, email, "active"))
            elif old[:3] != (last, first, email):
                changed.append((last, first, email, login))
        gone = [(login,) for login in current if login not in seen]
        con.executemany("INSERT INTO m (login, last, first, email, state) VALUES (?,?,?,?,?)", new)
        con.executemany("UPDATE m SET last=?, first=?, email=? WHERE login=?", changed)
        con.executemany("UPDATE m SET state='deactivated' WHERE login=?", gone)
    con.close()
    return time.perf_counter() - start


def floor_postgres(url: str, path: Path, fresh: bool) -> float:
    """Parse the file and sync it with COPY into a temp table, then one upsert and one update."""
    import psycopg

    start = time.perf_counter()
    rows = read_rows(path)
    with psycopg.connect(url) as con, con.cursor() as cur:
        if fresh:
            cur.execute("DROP TABLE IF EXISTS floor_m")
        cur.execute(
            "CREATE TABLE IF NOT EXISTS floor_m (id bigserial PRIMARY KEY, login text UNIQUE,"
            " last text, first text, email text, state text)"
        )
        cur.execute("CREATE TEMP TABLE f (login text, last text, first text, email text)")
        with cur.copy("COPY f FROM STDIN") as copy:
            for r in rows:
                copy.write_row((r[0], r[1], r[2], r[3]))
        cur.execute(
            "INSERT INTO floor_m (login, last, first, email, state) SELECT login, last, first,"
            " email, 'active' FROM f ON CONFLICT (login) DO UPDATE SET last=EXCLUDED.last,"
            " first=EXCLUDED.first, email=EXCLUDED.email WHERE (floor_m.last, floor_m.first,"
            " floor_m.email) IS DISTINCT FROM (EXCLUDED.last, EXCLUDED.first, EXCLUDED.email)"
        )
        cur.execute(
            # NOT EXISTS (a hash anti-join): NOT IN over a million logins that do not fit
            # in work_mem is evaluated row by row, quadratic, and was no floor at all.
            "UPDATE floor_m SET state='deactivated' WHERE state='active' AND NOT EXISTS"
            " (SELECT 1 FROM f WHERE f.login = floor_m.login)"
        )
    return time.perf_counter() - start


# The schema floor: the same parse and the same sync, written with the plain driver into
# the real tables (a copy of the database right after ``org create``), with every index,
# trigger and constraint they have: per new member its row, its role row and its audit row;
# per changed member its update and its audit row. What the import adds on top of this is
# its own work (validation, permissions, the plan, the report), which the ratio measures.
SQL_MEMBER_COLUMNS = (
    "organization_id, login, email, first_name, last_name, state, password, last_login,"
    " phone, job_title, language, must_change_password, uses_temp_password, contact_roles,"
    " auto_delete_on, external_id, search_text, session_version, is_superuser, created_at,"
    " updated_at, activated_at, deactivated_at"
)
SQL_AUDIT_COLUMNS = (
    "organization_id, organization_slug, created_at, event_type, actor_id, actor_label,"
    " target_type, target_id, target_label, member_id, before, after, origin"
)


def search_text(first: str, last: str, login: str, email: str) -> str:
    from unidecode import unidecode

    return " ".join(unidecode(p).lower() for p in (first, last, login, email) if p)


def schema_sync_plan(
    rows: list[list[str]], current: dict[str, tuple[int, str, str, str, str]], owner_id: int
) -> tuple[list[list[str]], list[tuple[int, list[str], tuple[str, str, str]]], list[int]]:
    """Return (new rows, (id, row, old names) of changed members, ids to deactivate)."""
    new, changed, seen = [], [], set()
    for row in rows:
        login, last, first, email = row[0], row[1], row[2], row[3]
        seen.add(login)
        old = current.get(login)
        if old is None:
            new.append(row)
        elif old[1:4] != (last, first, email):
            changed.append((old[0], row, old[1:4]))
    gone = [
        v[0]
        for login, v in current.items()
        if login not in seen and v[4] == "active" and v[0] != owner_id
    ]
    return new, changed, gone


def audit_after(login: str, last: str, first: str, email: str) -> str:
    return json.dumps(
        {
            "login": login,
            "last_name": last,
            "first_name": first,
            "email": email,
            "state": "active",
            "roles": ["member"],
        }
    )


def audit_rows(
    org_id: int,
    owner_id: int,
    now: Any,
    new: list[list[str]],
    ids: dict[str, int],
    changed: list[tuple[int, list[str], tuple[str, str, str]]],
    gone: list[int],
) -> Iterator[tuple[Any, ...]]:
    """Yield one audit row (SQL_AUDIT_COLUMNS) per member the sync adds, changes or deactivates."""
    head = (org_id, "bench", now)
    for r in new:
        pk = ids[r[0]]
        yield (*head, "member.created", owner_id, "owner", "member", str(pk), f"{r[2]} {r[1]}",
               pk, None, audit_after(r[0], r[1], r[2], r[3]), "{}")  # fmt: skip
    for pk, r, old in changed:
        yield (*head, "member.updated", owner_id, "owner", "member", str(pk), f"{r[2]} {r[1]}",
               pk, json.dumps({"last_name": old[0], "first_name": old[1], "email": old[2]}),
               json.dumps({"last_name": r[1], "first_name": r[2], "email": r[3]}), "{}")  # fmt: skip
    for pk in gone:
        yield (*head, "member.deactivated", owner_id, "owner", "member", str(pk), "", pk,
               '{"state": "active"}', '{"state": "deactivated"}', "{}")  # fmt: skip


def floor_sqlite_schema(db: Path, path: Path, org_id: int, owner_id: int) -> float:
    """Schema floor (SQLite): the same rows into the real tables with executemany, one transaction."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from equipage.accounts.collation import register_sqlite

    start = time.perf_counter()
    rows = read_rows(path)
    con = sqlite3.connect(db, isolation_level=None)
    register_sqlite(con)  # the directory's name index calls it
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("PRAGMA foreign_keys=ON")
    con.execute("PRAGMA cache_size=-32000")
    now = time.strftime("%Y-%m-%d %H:%M:%S")
    con.execute("BEGIN IMMEDIATE")
    current = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT login, id, last_name, first_name, email, state FROM accounts_member"
            " WHERE organization_id = ?",
            (org_id,),
        )
    }
    new, changed, gone = schema_sync_plan(rows, current, owner_id)
    new.sort()  # by login: the indexes are filled with fewer cache misses
    top = con.execute("SELECT COALESCE(MAX(id), 0) FROM accounts_member").fetchone()[0]
    # The search index filled once after the rows rather than by its trigger row by row.
    trigger = con.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'directory_member_fts_ai'"
    ).fetchone()[0]
    con.execute("DROP TRIGGER directory_member_fts_ai")
    con.executemany(
        f"INSERT INTO accounts_member ({SQL_MEMBER_COLUMNS}) VALUES"
        " (?, ?, ?, ?, ?, 'active', '!', NULL, '', '', 'fr', 0, 0, '[]', NULL, '', ?, 0, 0,"
        " ?, ?, ?, NULL)",
        (
            (org_id, r[0], r[3], r[2], r[1], search_text(r[2], r[1], r[0], r[3]), now, now, now)
            for r in new
        ),
    )
    con.execute(
        "INSERT INTO directory_member_fts (rowid, search_text) SELECT id, search_text"
        " FROM accounts_member WHERE id > ?",
        (top,),
    )
    con.execute(trigger)
    ids = dict(
        con.execute(
            "SELECT login, id FROM accounts_member WHERE organization_id = ? AND id > ?",
            (org_id, top),
        )
    )
    con.executemany(
        "INSERT INTO accounts_memberrole (organization_id, member_id, role) VALUES (?, ?, 'member')",
        ((org_id, ids[r[0]]) for r in new),
    )
    con.executemany(
        "UPDATE accounts_member SET last_name = ?, first_name = ?, email = ?, search_text = ?,"
        " updated_at = ? WHERE id = ?",
        (
            (r[1], r[2], r[3], search_text(r[2], r[1], r[0], r[3]), now, pk)
            for pk, r, _old in changed
        ),
    )
    con.executemany(
        "UPDATE accounts_member SET state = 'deactivated', deactivated_at = ?, updated_at = ?,"
        " session_version = session_version + 1 WHERE id = ?",
        ((now, now, pk) for pk in gone),
    )
    audit = f"INSERT INTO audit_auditevent ({SQL_AUDIT_COLUMNS}) VALUES ({', '.join('?' * 13)})"
    con.executemany(audit, audit_rows(org_id, owner_id, now, new, ids, changed, gone))
    con.execute("COMMIT")
    con.close()
    return time.perf_counter() - start


def floor_postgres_schema(url: str, path: Path, org_id: int, owner_id: int) -> float:
    """Schema floor (PostgreSQL): the same rows into the real tables with COPY, one transaction."""
    import psycopg

    start = time.perf_counter()
    rows = read_rows(path)
    with psycopg.connect(url) as con, con.cursor() as cur:
        now = cur.execute("SELECT now()").fetchone()[0]  # type: ignore[index]
        current = {
            r[0]: r[1:]
            for r in cur.execute(
                "SELECT login, id, last_name, first_name, email, state FROM accounts_member"
                " WHERE organization_id = %s",
                (org_id,),
            )
        }
        new, changed, gone = schema_sync_plan(rows, current, owner_id)
        top = cur.execute("SELECT COALESCE(MAX(id), 0) FROM accounts_member").fetchone()[0]  # type: ignore[index]
        with cur.copy(f"COPY accounts_member ({SQL_MEMBER_COLUMNS}) FROM STDIN") as copy:
            for r in new:
                copy.write_row(
                    (org_id, r[0], r[3], r[2], r[1], "active", "!", None, "", "", "fr", False,
                     False, "[]", None, "", search_text(r[2], r[1], r[0], r[3]), 0, False, now,
                     now, now, None)
                )  # fmt: skip
        ids = dict(
            cur.execute(
                "SELECT login, id FROM accounts_member WHERE organization_id = %s AND id > %s",
                (org_id, top),
            ).fetchall()
        )
        with cur.copy(
            "COPY accounts_memberrole (organization_id, member_id, role) FROM STDIN"
        ) as copy:
            for r in new:
                copy.write_row((org_id, ids[r[0]], "member"))
        cur.execute(
            "CREATE TEMP TABLE u (id bigint, last text, first text, email text, search text)"
        )
        with cur.copy("COPY u FROM STDIN") as copy:
            for pk, r, _old in changed:
                copy.write_row((pk, r[1], r[2], r[3], search_text(r[2], r[1], r[0], r[3])))
        cur.execute(
            "UPDATE accounts_member m SET last_name = u.last, first_name = u.first,"
            " email = u.email, search_text = u.search, updated_at = %s FROM u WHERE m.id = u.id",
            (now,),
        )
        cur.execute(
            "UPDATE accounts_member SET state = 'deactivated', deactivated_at = %s,"
            " updated_at = %s, session_version = session_version + 1 WHERE id = ANY(%s)",
            (now, now, gone),
        )
        with cur.copy(f"COPY audit_auditevent ({SQL_AUDIT_COLUMNS}) FROM STDIN") as copy:
            for values in audit_rows(org_id, owner_id, now, new, ids, changed, gone):
                copy.write_row(values)
    return time.perf_counter() - start


def bench_ids(env: dict[str, str]) -> tuple[int, int]:
    """Return the bench organization's id and its owner's id."""
    org_sql = "SELECT id FROM organizations_organization WHERE slug = 'bench'"
    owner_sql = (
        "SELECT member_id FROM accounts_memberrole WHERE organization_id = {} AND role = 'owner'"
    )
    if env.get("DATABASE_URL", "").startswith("postgres"):
        import psycopg

        with psycopg.connect(env["DATABASE_URL"]) as con:
            org_id = con.execute(org_sql).fetchone()[0]  # type: ignore[index]
            return org_id, con.execute(owner_sql.format(int(org_id))).fetchone()[0]  # type: ignore[index]
    con = sqlite3.connect(Path(env["EQUIPAGE_DATA_DIR"]) / "equipage.sqlite3")
    org_id = con.execute(org_sql).fetchone()[0]
    owner_id = con.execute(owner_sql.format(int(org_id))).fetchone()[0]
    con.close()
    return org_id, owner_id


def roster_counts(address: str, org_id: int) -> list[tuple[str, int]]:
    """Return (state, members) of the bench organization: the floor must leave what the import left."""
    sql = (
        f"SELECT state, count(*) FROM accounts_member WHERE organization_id = {int(org_id)}"
        " GROUP BY state ORDER BY state"
    )
    if address.startswith("postgres"):
        import psycopg

        with psycopg.connect(address) as con:
            return [(r[0], r[1]) for r in con.execute(sql)]  # type: ignore[call-overload]
    con = sqlite3.connect(address)
    try:
        return [(r[0], r[1]) for r in con.execute(sql)]
    finally:
        con.close()


def copy_database(env: dict[str, str], run: int, work: Path) -> str:
    """Copy the database as ``org create`` left it, for the schema floor; return its address."""
    url = env.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        name = f"eq_imports_floor_{run}"
        source = url.rsplit("/", 1)[1]
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {name}")
            con.execute(f"CREATE DATABASE {name} TEMPLATE {source}")
        return url.rsplit("/", 1)[0] + "/" + name
    target = work / f"schema-floor{run}.sqlite3"
    shutil.copyfile(Path(env["EQUIPAGE_DATA_DIR"]) / "equipage.sqlite3", target)
    return str(target)


def forget_run(app_db: str, floor_db: str) -> None:
    """Drop a finished run's databases, so that the next run does not share the machine.

    PostgreSQL vacuums and analyses a fresh million rows in the background, and
    their pages fill the cache the next run needs.
    """
    if app_db.startswith("postgres"):
        import psycopg

        with psycopg.connect(app_db.rsplit("/", 1)[0] + "/postgres", autocommit=True) as con:
            for url in (app_db, floor_db):
                con.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")
        return
    for path in (Path(app_db), Path(floor_db)):
        path.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    engine = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="equipage-bench-"))
    month1, month2 = work / "month1.csv", work / "month2.csv"
    people = make_people(args.rows, rng)
    write_csv(month1, people)
    write_csv(month2, next_month(people, rng))
    print(f"{engine}, {args.rows} rows, {args.repeat} run(s); files in {work}", flush=True)
    times: dict[str, list[float]] = {
        k: []
        for k in (
            "fresh", "sync", "schema_fresh", "schema_sync", "bare_fresh", "bare_sync", "export",
            "reimport",
        )
    }  # fmt: skip
    rss: dict[str, list[float]] = {"fresh": [], "sync": [], "export": [], "reimport": []}
    for run in range(args.repeat):
        data = work / f"data{run}"
        env = {**os.environ, "EQUIPAGE_DATA_DIR": str(data), "EQUIPAGE_LOG_LEVEL": "ERROR"}
        if url:
            import psycopg

            name = f"eq_imports_bench_{run}"
            admin_url = url.rsplit("/", 1)[0] + "/postgres"
            with psycopg.connect(admin_url, autocommit=True) as con:
                con.execute(f"DROP DATABASE IF EXISTS {name}")
                con.execute(f"CREATE DATABASE {name}")
            env["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + name
        run_cli(
            ["org", "create", "bench", "--name", "Bench", "--owner-email", "owner@bench.fr"], env
        )
        # The import itself, as measured before the link policy became the default: under
        # ``link`` every new member with an address is also mailed a set-password link
        # (about 0.6 ms each, outbox rows included), which is not the import's work.
        run_cli(
            [
                "org", "update", "bench", "--first-password", "shared",
                "--temporary-password", "bench-k7pm-x3qa-9wfr",
            ],
            env,
        )  # fmt: skip
        org_id, owner_id = bench_ids(env)
        floor_db = copy_database(env, run, work)
        t, r, out = run_cli(["members", "import", str(month1), "--org", "bench", "--json"], env)
        times["fresh"].append(t)
        rss["fresh"].append(r)
        t, r, out = run_cli(["members", "import", str(month2), "--org", "bench", "--json"], env)
        times["sync"].append(t)
        rss["sync"].append(r)
        # (c) The coordinator's round trip: export the roster, import that file back unchanged.
        exported = work / f"export{run}.csv"
        t, r, _ = run_cli(["members", "export", "--org", "bench", "-o", str(exported)], env)
        times["export"].append(t)
        rss["export"].append(r)
        t, r, again = run_cli(["members", "import", str(exported), "--org", "bench", "--json"], env)
        times["reimport"].append(t)
        rss["reimport"].append(r)
        noop = json.loads(again)
        if noop["added"] or noop["updated"] or noop["deactivated"] or noop["errors"]:
            raise SystemExit(f"re-importing the export changed something: {again[:500]}")
        if url:
            schema = floor_postgres_schema
            times["bare_fresh"].append(floor_postgres(env["DATABASE_URL"], month1, fresh=True))
            times["bare_sync"].append(floor_postgres(env["DATABASE_URL"], month2, fresh=False))
        else:
            schema = floor_sqlite_schema  # type: ignore[assignment]
            db = work / f"floor{run}.sqlite3"
            times["bare_fresh"].append(floor_sqlite(db, month1))
            times["bare_sync"].append(floor_sqlite(db, month2))
        times["schema_fresh"].append(schema(floor_db, month1, org_id, owner_id))  # type: ignore[arg-type]
        times["schema_sync"].append(schema(floor_db, month2, org_id, owner_id))  # type: ignore[arg-type]
        app_db = env.get("DATABASE_URL") or str(data / "equipage.sqlite3")
        if roster_counts(app_db, org_id) != roster_counts(floor_db, org_id):
            raise SystemExit(
                f"the schema floor left {roster_counts(floor_db, org_id)}, the import"
                f" {roster_counts(app_db, org_id)}: the floor does not do the same sync"
            )
        print(
            f"  run {run + 1}: fresh {times['fresh'][-1]:.2f}s (schema floor"
            f" {times['schema_fresh'][-1]:.2f}s, bare {times['bare_fresh'][-1]:.2f}s), sync"
            f" {times['sync'][-1]:.2f}s (schema floor {times['schema_sync'][-1]:.2f}s, bare"
            f" {times['bare_sync'][-1]:.2f}s) — {out.strip()[:120]}",
            flush=True,
        )
        forget_run(app_db, floor_db)
    med = {k: statistics.median(v) for k, v in times.items()}
    for label, key in (("(a) fresh import", "fresh"), ("(b) sync next month", "sync")):
        print(
            f"{label}: {med[key]:.2f}s; schema floor {med['schema_' + key]:.2f}s, ratio"
            f" {med[key] / med['schema_' + key]:.1f}; bare-table floor"
            f" {med['bare_' + key]:.2f}s, ratio {med[key] / med['bare_' + key]:.1f}"
        )
    print(
        f"(c) export {med['export']:.2f}s, then its re-import (changes nothing)"
        f" {med['reimport']:.2f}s"
    )
    print(
        "peak RSS of the equipage process: "
        + ", ".join(f"{k} {max(v):.0f} MB" for k, v in rss.items())
        + f"; highest {max(max(v) for v in rss.values()):.0f} MB"
    )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
