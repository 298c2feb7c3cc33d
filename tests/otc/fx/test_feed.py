"""The daily ECB refresh: fetching (http, file, path), importing, the feed's
health record and its alerts, retries on network errors, the catch-up run,
the go-live command, and the TARGET calendar behind staleness."""

from __future__ import annotations

import http.server
import io
import logging
import threading
import urllib.error
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import partial

import pytest
from django.core.management import CommandError, call_command

from otc.fx import calendar, providers
from otc.fx.ecb import EcbFeedError, parse_ecb_feed
from otc.fx.models import ExchangeRate, RateFeedHealth
from otc.fx.providers import FeedUnavailableError, fetch_feed
from otc.fx.selectors import ecb_feed_status
from otc.fx.services import ecb_rates_import, ecb_rates_refresh
from otc.fx.tasks import MAX_RETRIES, refresh_ecb_rates
from tests.samples import sample

pytestmark = pytest.mark.django_db

DAILY = "ecb_fx/exchanger_eurofxref-daily_success.xml"  # 2015-01-07, 31 currencies
HIST_90D = "ecb_fx/exchanger_eurofxref-hist-90d.xml"  # 2019-09-02 .. 2019-11-29


def _at(day: str, hour: int = 18) -> datetime:
    """An instant on `day` at `hour` UTC (after the ECB's 16:00 CET)."""
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def _usd(day: date) -> Decimal:
    return ExchangeRate.objects.get(quote_currency="USD", rate_date=day).rate


# --- the calendar -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "easter"),
    [(2019, date(2019, 4, 21)), (2024, date(2024, 3, 31)), (2026, date(2026, 4, 5))],
)
def test_easter(year, easter):
    assert calendar.easter_sunday(year) == easter


def test_target_business_days_skip_weekends_and_easter():
    # Maundy Thursday 2026-04-02 to Tuesday 2026-04-07: Good Friday, the
    # weekend and Easter Monday are closed, so only Tuesday counts.
    assert calendar.target_business_days_between(date(2026, 4, 2), date(2026, 4, 7)) == 1
    assert not calendar.is_target_business_day(date(2026, 12, 25))
    assert calendar.is_target_business_day(date(2026, 12, 24))
    assert calendar.last_target_business_day(date(2026, 1, 1)) == date(2025, 12, 31)


def test_publication_due_waits_for_sixteen_hundred_cet():
    # 14:59 UTC is 15:59 CET: Wednesday's rates are not due yet.
    assert calendar.latest_publication_due(_at("2026-01-14", 14).replace(minute=59)) == date(
        2026, 1, 13
    )
    assert calendar.latest_publication_due(_at("2026-01-14", 15)) == date(2026, 1, 14)
    assert calendar.latest_publication_due(_at("2026-01-17")) == date(2026, 1, 16)  # Saturday


# --- parsing the other ECB files ---------------------------------------------------------


def test_history_csv_with_iso_dates_and_not_quoted_currencies():
    content = b"Date,USD,JPY,CYP,\n2024-11-22,1.0412,161.49,N/A,\n2024-11-21,1.0497,162.46,N/A,\n"
    rates = parse_ecb_feed(content)
    assert [(r.rate_date, r.currency, r.rate) for r in rates] == [
        (date(2024, 11, 22), "USD", Decimal("1.0412")),
        (date(2024, 11, 22), "JPY", Decimal("161.49")),
        (date(2024, 11, 21), "USD", Decimal("1.0497")),
        (date(2024, 11, 21), "JPY", Decimal("162.46")),
    ]


def test_csv_mixing_date_styles_is_refused():
    with pytest.raises(EcbFeedError, match="line 3: '21 November 2024' is not a date"):
        parse_ecb_feed(b"Date,USD,\n2024-11-22,1.0412,\n21 November 2024,1.0497,\n")


def test_a_currency_twice_on_one_day_is_refused():
    content = (
        b'<E xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref"><Cube>'
        b"<Cube time='2020-01-02'><Cube currency='USD' rate='1.1'/>"
        b"<Cube currency='USD' rate='1.2'/></Cube></Cube></E>"
    )
    with pytest.raises(EcbFeedError, match="USD appears twice for 2020-01-02"):
        parse_ecb_feed(content)


def _zipped(name: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


def test_zipped_history_as_the_ecb_ships_it():
    content = sample(HIST_90D).read_bytes()
    assert parse_ecb_feed(_zipped("eurofxref-hist.xml", content)) == parse_ecb_feed(content)


@pytest.mark.parametrize(
    ("archive", "message"),
    [
        (_zipped("notes.txt", b"hello"), "must hold one .csv or .xml file, not notes.txt"),
        (_zipped("a.csv", _zipped("b.csv", b"x")), "zip archive inside a zip archive"),
        (b"PK\x03\x04broken", "not a readable zip archive"),
    ],
)
def test_bad_zips_are_refused(archive, message):
    with pytest.raises(EcbFeedError, match=message):
        parse_ecb_feed(archive)


# --- fetching ------------------------------------------------------------------------------


def test_fetch_reads_a_path_and_a_file_url():
    path = sample(DAILY)
    assert fetch_feed(str(path), timeout=1) == path.read_bytes()
    assert fetch_feed(path.as_uri(), timeout=1) == path.read_bytes()


def test_fetch_of_a_missing_file_is_not_retryable(tmp_path):
    with pytest.raises(FeedUnavailableError, match="cannot read") as error:
        fetch_feed(str(tmp_path / "missing.xml"), timeout=1)
    assert error.value.retryable is False


def test_fetch_refuses_other_schemes():
    with pytest.raises(FeedUnavailableError, match="'ftp:' feeds are not supported"):
        fetch_feed("ftp://example.org/eurofxref-daily.xml", timeout=1)


@pytest.fixture
def http_feed():
    """A real HTTP server on localhost serving the shared samples folder."""
    folder = sample(DAILY).parent
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_fetch_over_http(http_feed):
    content = fetch_feed(f"{http_feed}/exchanger_eurofxref-daily_success.xml", timeout=5)
    assert content == sample(DAILY).read_bytes()
    with pytest.raises(FeedUnavailableError, match="HTTP 404") as error:
        fetch_feed(f"{http_feed}/nothing-here.xml", timeout=5)
    assert error.value.retryable is False


def test_connection_refused_is_retryable():
    with pytest.raises(FeedUnavailableError, match="cannot reach") as error:
        fetch_feed("http://127.0.0.1:9/eurofxref-daily.xml", timeout=2)
    assert error.value.retryable is True


# --- the refresh service and the health record ------------------------------------------


def test_refresh_imports_and_records_success():
    result = ecb_rates_refresh(location=str(sample(DAILY)), timeout=1)
    assert (result.rates, result.last_date) == (31, date(2015, 1, 7))
    assert _usd(date(2015, 1, 7)) == Decimal("1.1831")
    health = RateFeedHealth.objects.get(source="ECB")
    assert health.latest_rate_date == date(2015, 1, 7)
    assert health.last_success_rates == 31
    assert health.last_success_at is not None
    assert (health.consecutive_failures, health.last_error_at) == (0, None)


def test_truncated_feed_changes_no_rate_and_raises_the_alert(tmp_path, caplog):
    ecb_rates_import(content=sample(HIST_90D).read_bytes())
    before = ExchangeRate.objects.count()
    truncated = tmp_path / "eurofxref-daily.xml"
    content = sample(DAILY).read_bytes()
    # The daily file of 2015 with a changed USD rate, cut off halfway.
    truncated.write_bytes(content.replace(b"1.1831", b"9.9999")[: len(content) // 2])
    with pytest.raises(EcbFeedError):
        ecb_rates_refresh(location=str(truncated), timeout=1)
    assert ExchangeRate.objects.count() == before
    assert not ExchangeRate.objects.filter(rate_date=date(2015, 1, 7)).exists()
    status = ecb_feed_status(now=_at("2019-11-29"))
    assert status.last_attempt_failed
    assert status.is_alert
    assert "malformed feed: not well-formed XML" in status.last_error
    assert any("The last ECB refresh failed (1 attempt in a row)" in a for a in status.alerts)


def test_success_after_failure_clears_the_alert(tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_bytes(b"<gesmes:Envelope")
    with pytest.raises(EcbFeedError):
        ecb_rates_refresh(location=str(broken), timeout=1)
    ecb_rates_refresh(location=str(sample(DAILY)), timeout=1)
    status = ecb_feed_status(now=_at("2015-01-07"))
    assert not status.last_attempt_failed
    assert status.alerts == ()
    assert status.consecutive_failures == 0


@pytest.mark.parametrize(
    ("now", "behind", "stale"),
    [
        ("2019-11-29", 0, False),  # Friday evening: Friday's rates are in
        ("2019-12-04", 3, False),  # Wednesday evening: Mon, Tue, Wed missing
        ("2019-12-05", 4, True),  # Thursday evening: four missing
    ],
)
def test_staleness_counts_ecb_business_days(now, behind, stale):
    ecb_rates_import(content=sample(HIST_90D).read_bytes())  # newest: Fri 2019-11-29
    status = ecb_feed_status(now=_at(now))
    assert status.latest_rate_date == date(2019, 11, 29)
    assert status.business_days_behind == behind
    assert status.is_stale is stale
    assert bool(status.alerts) is stale
    if stale:
        assert status.alerts[0].startswith("The newest ECB rates are from 29 Nov 2019: 4 ECB")


def test_no_rates_at_all_is_an_alert():
    status = ecb_feed_status(now=_at("2026-01-14"))
    assert status.latest_rate_date is None
    assert status.is_alert
    assert "No ECB reference rates are stored" in status.alerts[0]


def test_rates_imported_before_the_health_record_still_count():
    ecb_rates_import(content=sample(DAILY).read_bytes())
    RateFeedHealth.objects.all().delete()
    assert ecb_feed_status(now=_at("2015-01-07")).latest_rate_date == date(2015, 1, 7)


def test_an_older_history_does_not_make_the_feed_look_older():
    ecb_rates_import(content=sample(HIST_90D).read_bytes())
    ecb_rates_import(
        content=sample("ecb_fx/exchanger_eurofxref-hist-2016-extract.xml").read_bytes()
    )
    assert RateFeedHealth.objects.get().latest_rate_date == date(2019, 11, 29)


# --- the Celery task ------------------------------------------------------------------------


@pytest.fixture
def daily_file(settings):
    settings.ECB_DAILY_URL = sample(DAILY).as_uri()
    return settings


def test_task_imports_and_is_idempotent(daily_file, eager_tasks):
    first = refresh_ecb_rates.apply().get()
    second = refresh_ecb_rates.apply().get()
    assert first == second == "imported 31 rates, 2015-01-07 to 2015-01-07"
    assert ExchangeRate.objects.count() == 31
    assert _usd(date(2015, 1, 7)) == Decimal("1.1831")


def test_task_retries_network_errors_with_backoff_then_alerts(
    settings, eager_tasks, monkeypatch, caplog
):
    settings.ECB_DAILY_URL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"
    calls = []

    def unreachable(request, timeout):
        calls.append(timeout)
        raise urllib.error.URLError("timed out")

    monkeypatch.setattr(providers.urllib.request, "urlopen", unreachable)
    countdowns = []
    original_retry = refresh_ecb_rates.retry

    def recording_retry(*args, **kwargs):
        countdowns.append(kwargs["countdown"])
        return original_retry(*args, **kwargs)

    monkeypatch.setattr(refresh_ecb_rates, "retry", recording_retry)
    with caplog.at_level(logging.WARNING, logger="otc.fx.tasks"):
        refresh_ecb_rates.apply()
    assert len(calls) == MAX_RETRIES + 1
    assert calls[0] == settings.ECB_FETCH_TIMEOUT_SECONDS
    assert countdowns == [60, 120, 240, 480, 960, 1920]
    health = RateFeedHealth.objects.get()
    assert health.consecutive_failures == MAX_RETRIES + 1
    assert "feed unavailable: cannot reach" in health.last_error
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert any("ECB rate refresh failed, no rate changed" in r.getMessage() for r in errors)
    assert ExchangeRate.objects.count() == 0


def test_task_does_not_retry_a_malformed_feed(settings, tmp_path, eager_tasks, caplog):
    broken = tmp_path / "eurofxref-daily.xml"
    broken.write_bytes(sample(DAILY).read_bytes()[:700])
    settings.ECB_DAILY_URL = str(broken)
    with caplog.at_level(logging.ERROR, logger="otc.fx.tasks"):
        outcome = refresh_ecb_rates.apply().get()
    assert outcome.startswith("malformed feed: not well-formed XML")
    assert RateFeedHealth.objects.get().consecutive_failures == 1
    assert "ECB rate feed is malformed, no rate changed" in caplog.text
    assert ExchangeRate.objects.count() == 0


def test_task_logs_an_error_when_the_feed_serves_stale_rates(daily_file, eager_tasks, caplog):
    with caplog.at_level(logging.ERROR, logger="otc.fx.tasks"):
        refresh_ecb_rates.apply().get()
    assert "ECB rate feed alert: The newest ECB rates are from 07 Jan 2015" in caplog.text


def test_catch_up_run_fetches_only_when_behind(daily_file, eager_tasks, monkeypatch):
    ecb_rates_import(content=sample(HIST_90D).read_bytes())
    monkeypatch.setattr("otc.fx.tasks.latest_publication_due", lambda now: date(2019, 11, 29))
    assert refresh_ecb_rates.apply(kwargs={"only_if_behind": True}).get() == (
        "up to date: rates of 2019-11-29 stored"
    )
    assert not ExchangeRate.objects.filter(rate_date=date(2015, 1, 7)).exists()
    monkeypatch.setattr("otc.fx.tasks.latest_publication_due", lambda now: date(2019, 12, 2))
    assert refresh_ecb_rates.apply(kwargs={"only_if_behind": True}).get().startswith("imported")


def test_beat_schedules_the_refresh_and_the_catch_up(settings):
    tasks = {
        name: entry
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        if entry["task"] == "otc.fx.tasks.refresh_ecb_rates"
    }
    assert set(tasks) == {"fx-refresh-ecb-rates", "fx-refresh-ecb-rates-catch-up"}
    evening = tasks["fx-refresh-ecb-rates"]["schedule"]
    assert evening.hour == {15}
    assert evening.minute == {30}
    assert evening.day_of_week == {1, 2, 3, 4, 5}
    assert tasks["fx-refresh-ecb-rates-catch-up"]["kwargs"] == {"only_if_behind": True}


# --- the go-live command --------------------------------------------------------------------


def test_import_command_loads_a_history_once(capsys):
    call_command("import_ecb_rates", str(sample(HIST_90D)))
    assert "Imported 2080 ECB rates from 02 Sep 2019 to 29 Nov 2019." in capsys.readouterr().out
    call_command("import_ecb_rates", sample(HIST_90D).as_uri())
    assert ExchangeRate.objects.count() == 2080
    assert _usd(date(2019, 11, 29)) == Decimal("1.0982")


def test_import_command_loads_the_daily_csv():
    call_command("import_ecb_rates", str(sample("ecb_fx/currencyconverter_eurofxref-daily.csv")))
    assert _usd(date(2026, 4, 13)) == Decimal("1.1684")


def test_import_command_refuses_a_bad_file_and_imports_nothing(tmp_path):
    bad = tmp_path / "rates.csv"
    bad.write_bytes(b"Date, USD,\n13 April 2026, abc,\n")
    with pytest.raises(CommandError, match="Not a valid ECB feed, nothing imported: line 2"):
        call_command("import_ecb_rates", str(bad))
    with pytest.raises(CommandError, match="Could not read the feed: cannot read"):
        call_command("import_ecb_rates", str(tmp_path / "missing.xml"))
    assert ExchangeRate.objects.count() == 0
