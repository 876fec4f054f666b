"""A throwaway local PostgreSQL server (Debian's packages, a free port) for tests and benchmarks."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ftzchain.devnet import free_port


def pg_bin_dir() -> Path | None:
    """Where initdb/pg_ctl live (FTZ_PG_BIN, else the newest /usr/lib/postgresql/*/bin)."""
    if env := os.environ.get("FTZ_PG_BIN"):
        return Path(env)
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass
class PgServer:
    bin_dir: Path
    data_dir: Path
    port: int
    run_as: list[str]
    _databases: int = 0

    def _run(self, *args: str) -> None:
        subprocess.run([*self.run_as, *args], check=True, capture_output=True, timeout=120)

    def create_database(self) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        self._databases += 1
        name = f"ftz_test_{self._databases}"
        self._run(
            str(self.bin_dir / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "ftz",
            name,
        )
        return f"postgresql+psycopg://ftz@127.0.0.1:{self.port}/{name}"

    def resume(self) -> None:
        """Start the server (again, after :meth:`pause`) on its data directory and port."""
        root = self.data_dir.parent
        self._run(
            str(self.bin_dir / "pg_ctl"),
            "-D",
            str(self.data_dir),
            "-w",
            "-l",
            str(root / "server.log"),
            "-o",
            f"-p {self.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off",
            "start",
        )

    def pause(self) -> None:
        """Stop the server and keep its data (a database outage, for tests)."""
        self._run(
            str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"
        )

    def stop(self) -> None:
        """Stop the server (if it runs) and delete its data."""
        with contextlib.suppress(subprocess.CalledProcessError):  # stopped already
            self.pause()
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def start_pg() -> PgServer:
    bin_dir = pg_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed: run `make install` (it installs it)")
    root = Path(tempfile.mkdtemp(prefix="ftz-pg-"))
    data = root / "data"
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres user
        shutil.chown(root, user="postgres")
        root.chmod(0o755)
        run_as = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    server = PgServer(bin_dir, data, port, run_as)
    server._run(
        str(bin_dir / "initdb"),
        "-D",
        str(data),
        "-A",
        "trust",
        "-U",
        "ftz",
        "--no-sync",
        "-E",
        "UTF8",
    )
    server.resume()
    return server
