"""``python -m otc.embedded``: the pure helpers, the embedded Redis, and a
real launcher run (embedded PostgreSQL and Redis) that must leave nothing
behind, on a clean exit and on SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import dj_database_url
import psutil
import pytest
from psycopg.conninfo import conninfo_to_dict

from otc import embedded
from otc.embedded import (
    EmbeddedRedis,
    ProcessBook,
    exit_code_of,
    free_port,
    parse_args,
    port_is_free,
    redact_url,
    redis_answers,
    redis_url,
    socket_database_url,
)

ROOT = Path(embedded.__file__).resolve().parent.parent


def test_free_port_can_be_bound_and_is_then_taken():
    port = free_port()
    assert 1024 < port < 65536
    assert port_is_free("127.0.0.1", port)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", port))
        listener.listen()
        assert not port_is_free("127.0.0.1", port)


def test_socket_database_url_reads_back_as_a_unix_socket_everywhere():
    url = socket_database_url(socket_dir="/srv/otc state/pg-run", port=5433, database="otc")

    assert url == "postgresql://postgres@%2Fsrv%2Fotc%20state%2Fpg-run:5433/otc"
    django = dj_database_url.parse(url)
    assert (django["HOST"], django["PORT"], django["NAME"], django["USER"]) == (
        "/srv/otc state/pg-run",
        5433,
        "otc",
        "postgres",
    )
    libpq = conninfo_to_dict(url)
    assert (libpq["host"], libpq["port"], libpq["dbname"]) == (
        "/srv/otc state/pg-run",
        "5433",
        "otc",
    )


def test_redis_url_and_redaction():
    assert redis_url(port=6390) == "redis://127.0.0.1:6390/0"
    assert redis_url(port=6390, db=15) == "redis://127.0.0.1:6390/15"
    assert (
        redact_url("postgresql://owner:s3cret@db:5432/otc") == "postgresql://owner:***@db:5432/otc"
    )
    assert (
        redact_url("postgresql://postgres@127.0.0.1/otc") == "postgresql://postgres@127.0.0.1/otc"
    )


def test_exit_codes_read_like_a_shell():
    assert exit_code_of(0) == 0
    assert exit_code_of(5) == 5
    assert exit_code_of(-signal.SIGTERM) == 128 + signal.SIGTERM


def test_command_modes_take_everything_after_the_double_dash():
    args = parse_args(["exec", "--", "pytest", "-x", "--ds", "x"])
    assert (args.mode, args.command) == ("exec", ["pytest", "-x", "--ds", "x"])
    assert parse_args(["test", "pytest"]).command == ["pytest"]
    assert parse_args(["run"]).mode == "run"
    with pytest.raises(SystemExit):
        parse_args(["test"])


def test_process_book_ends_groups_a_killed_launcher_left_behind(tmp_path):
    book = ProcessBook(tmp_path / "run-processes.json")
    orphan = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )
    book.add("web", orphan.pid)

    # A new launcher of the same mode starts: it finds the entry and ends it.
    assert ProcessBook(tmp_path / "run-processes.json").reap_leftovers() == ["web"]
    assert orphan.wait(5) is not None
    assert not (tmp_path / "run-processes.json").exists()


def test_process_book_never_touches_a_recycled_pid(tmp_path):
    path = tmp_path / "run-processes.json"
    bystander = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )
    try:
        # The book names this pid, but with a start time long before the
        # bystander began: the pid was handed to someone else since.
        path.write_text(f'[{{"name": "web", "pgid": {bystander.pid}, "started": 1}}]')
        assert ProcessBook(path).reap_leftovers() == []
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_embedded_redis_starts_answers_and_stops(tmp_path):
    redis = EmbeddedRedis(tmp_path / "redis", ProcessBook(tmp_path / "book.json"))
    redis.start(embedded.StopSignals())
    pid = redis.process.pid if redis.process else 0
    try:
        assert redis_answers(redis.url)
    finally:
        redis.stop()
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert not redis_answers(redis.url)


def _our_processes(state_dir: Path) -> list[str]:
    """Postgres processes of a launcher with this state dir (the postmaster
    keeps its data directory on its command line)."""
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        try:
            cmdline = " ".join(process.info["cmdline"] or [])
        except psutil.Error:
            continue
        if str(state_dir) in cmdline and process.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(cmdline)
    return found


def _launcher_env() -> dict[str, str]:
    env = {
        key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def _wait_gone(state_dir: Path, output: str, timeout: float = 10.0) -> list[str]:
    """What is still running of the launcher's services after it exited."""
    deadline = time.monotonic() + timeout
    while (left := _our_processes(state_dir)) and time.monotonic() < deadline:
        time.sleep(0.1)
    # redis-server renames its process, so find it by the port it announced.
    match = re.search(r"embedded Redis ready at (redis://\S+)", output)
    assert match, output
    if redis_answers(match.group(1)):
        left.append(f"redis-server at {match.group(1)}")
    return left


PROBE = (
    "import os, sys, psycopg, redis\n"
    "with psycopg.connect(os.environ['DATABASE_URL']) as conn:\n"
    "    assert conn.execute('SELECT current_database()').fetchone()[0] == 'otc'\n"
    "assert redis.Redis.from_url(os.environ['REDIS_URL']).ping()\n"
    "sys.exit(3)\n"
)


def test_exec_starts_postgres_and_redis_passes_the_exit_code_and_leaves_nothing(tmp_path):
    state_dir = tmp_path / "state"
    result = subprocess.run(  # noqa: S603 - this interpreter, our module
        [sys.executable, "-m", "otc.embedded", "--state-dir", str(state_dir), "exec", "--",
         sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=_launcher_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip

    assert result.returncode == 3, result.stdout + result.stderr
    assert "embedded PostgreSQL" in result.stdout
    assert "stopped embedded Redis and PostgreSQL" in result.stdout
    assert _wait_gone(state_dir, result.stdout) == []


def test_sigterm_stops_the_command_and_every_service(tmp_path):
    state_dir = tmp_path / "state"
    launcher = subprocess.Popen(  # noqa: S603 - this interpreter, our module
        [sys.executable, "-m", "otc.embedded", "--state-dir", str(state_dir), "exec", "--",
         sys.executable, "-c", "import time; print('ready', flush=True); time.sleep(120)"],
        cwd=ROOT,
        env=_launcher_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )  # fmt: skip
    assert launcher.stdout is not None
    output = []
    for line in launcher.stdout:
        output.append(line)
        if line.strip() == "ready":
            break
    assert _our_processes(state_dir), "".join(output)

    launcher.send_signal(signal.SIGTERM)
    rest, _ = launcher.communicate(timeout=60)

    assert launcher.returncode == 128 + signal.SIGTERM, "".join(output) + rest
    assert "stopped embedded Redis and PostgreSQL" in rest
    assert _wait_gone(state_dir, "".join(output)) == []
