"""Database connection settings built from the environment.

Two Postgres roles take part (DESIGN.md §3):
- the *owner* role named by DATABASE_URL creates the schema and runs migrations;
- the *application* role (DATABASE_APP_USER, default ``otc_app``) is what the
  running product logs in as. It owns nothing, is not a superuser and has no
  BYPASSRLS, so row-level security applies to every query it sends.
"""

from __future__ import annotations

import os
from typing import Any

import dj_database_url

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/otc"


def app_role_name() -> str:
    return os.environ.get("DATABASE_APP_USER", "otc_app")


def app_role_password() -> str:
    return os.environ.get("DATABASE_APP_PASSWORD", "")


def database_config(*, as_owner: bool) -> dict[str, Any]:
    url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    config: dict[str, Any] = dict(
        dj_database_url.parse(
            url, conn_max_age=60, conn_health_checks=True, engine="otc.tenancy.db_backend"
        )
    )
    if not as_owner:
        config["USER"] = app_role_name()
        config["PASSWORD"] = app_role_password()
    config["OPTIONS"] = {
        **config.get("OPTIONS", {}),  # keep what the URL says (sslmode=require, ...)
        "application_name": "otc-owner" if as_owner else "otc",
        # JIT compilation costs more than it saves on OTC's short OLTP and
        # reporting statements (half a second on a whole-book aging).
        "options": "-c jit=off",
    }
    # Hold the test database name stable across xdist workers' suffixes.
    config["TEST"] = {"NAME": f"test_{config['NAME']}"}
    return config
