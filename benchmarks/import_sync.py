"""Benchmark the roster import through the ``equipage`` CLI against a raw floor.

Generates realistic French rosters (accents, compound and apostrophe names,
~85% with an e-mail), then times, as a user runs it:

  (a) a fresh N-row import into a new organization;
  (b) a sync of the next month's file (5% absent, 10% changed, 10% new);

and, in the same run, the raw floor: the same CSV parse and sync with plain
``sqlite3`` ``executemany`` in one transaction (SQLite), or COPY + upsert
(PostgreSQL, when ``DATABASE_URL`` is set). Prints medians, the ratio to the
floor and the peak RSS of the CLI process.

    .venv/bin/python benchmarks/import_sync.py --rows 100000 --repeat 3
    DATABASE_URL=postgres://postgres@127.0.0.1:54329/eq_bench .venv/bin/python benchmarks/import_sync.py
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def run_cli(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run ``equipage ARGS`` and return (seconds, peak RSS in MB, stdout)."""
    exe = shutil.which("equipage", path=str(Path(sys.executable).parent)) or "equipage"
    start = time.perf_counter()
    proc = subprocess.Popen([exe, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate()
    elapsed = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if proc.returncode not in (0,):
        raise SystemExit(f"equipage {' '.join(args)} failed:\n{err.decode()[-3000:]}")
    return elapsed, rss, out.decode()


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
    fresh_t, sync_t, floor_fresh, floor_sync, rss = [], [], [], [], []
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
        t, r, out = run_cli(["members", "import", str(month1), "--org", "bench", "--json"], env)
        fresh_t.append(t)
        rss.append(r)
        t, r, out = run_cli(["members", "import", str(month2), "--org", "bench", "--json"], env)
        sync_t.append(t)
        rss.append(r)
        if url:
            floor_fresh.append(floor_postgres(env["DATABASE_URL"], month1, fresh=True))
            floor_sync.append(floor_postgres(env["DATABASE_URL"], month2, fresh=False))
        else:
            db = work / f"floor{run}.sqlite3"
            floor_fresh.append(floor_sqlite(db, month1))
            floor_sync.append(floor_sqlite(db, month2))
        print(
            f"  run {run + 1}: fresh {fresh_t[-1]:.2f}s (floor {floor_fresh[-1]:.2f}s), "
            f"sync {sync_t[-1]:.2f}s (floor {floor_sync[-1]:.2f}s) — {out.strip()[:160]}",
            flush=True,
        )
    med = statistics.median
    print(
        f"(a) fresh import: {med(fresh_t):.2f}s, floor {med(floor_fresh):.2f}s, "
        f"ratio {med(fresh_t) / med(floor_fresh):.1f}"
    )
    print(
        f"(b) sync next month: {med(sync_t):.2f}s, floor {med(floor_sync):.2f}s, "
        f"ratio {med(sync_t) / med(floor_sync):.1f}"
    )
    print(f"peak RSS of the equipage process: {max(rss):.0f} MB")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
