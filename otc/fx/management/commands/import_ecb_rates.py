"""``manage.py import_ecb_rates <path-or-url>``: load ECB reference rates from
a file or URL, for go-live (the 90-day or full history) and for machines
without internet.

Accepts every file the ECB publishes: eurofxref-daily.xml,
eurofxref-hist-90d.xml, eurofxref-hist.xml, eurofxref.csv and
eurofxref-hist.csv, zipped or not. The whole file is checked before anything
is written, and importing it again changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from otc.fx.ecb import EcbFeedError
from otc.fx.providers import FeedUnavailableError, fetch_feed
from otc.fx.services import ecb_rates_import


class Command(BaseCommand):
    help = "Import ECB euro reference rates (XML or CSV, daily or history, zipped or not)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "location",
            help="A path, a file:// URL or an http(s) URL, e.g. "
            "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=None,
            help="Seconds to wait for a URL (default: ECB_FETCH_TIMEOUT_SECONDS).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        location: str = options["location"]
        timeout = options["timeout"] or settings.ECB_FETCH_TIMEOUT_SECONDS
        try:
            content = fetch_feed(location, timeout=timeout)
            result = ecb_rates_import(content=content)
        except FeedUnavailableError as error:
            raise CommandError(f"Could not read the feed: {error}") from None
        except EcbFeedError as error:
            raise CommandError(f"Not a valid ECB feed, nothing imported: {error}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {result.rates} ECB rates from {result.first_date:%d %b %Y} "
                f"to {result.last_date:%d %b %Y}."
            )
        )
