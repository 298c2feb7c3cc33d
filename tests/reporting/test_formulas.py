"""Every KPI formula against a hand-worked example."""

from __future__ import annotations

from decimal import Decimal as D  # noqa: N817  (reads like the worked examples)

from reporting import formulas as f


def test_countback_dso_from_the_issue():
    # 212,000 - 100,000 (30 days) - 80,000 (30 days) = 32,000 of 70,000 -> 13.71 days
    periods = [(D(100_000), 30), (D(80_000), 30), (D(70_000), 30)]
    assert f.countback_dso(receivables=D(212_000), periods=periods) == D("73.7")


def test_countback_dso_within_the_first_month_and_beyond_every_month():
    assert f.countback_dso(receivables=D(50_000), periods=[(D(100_000), 31)]) == D("15.5")
    assert f.countback_dso(receivables=D(500_000), periods=[(D(100_000), 30)]) == D("30.0")
    assert f.countback_dso(receivables=D(0), periods=[(D(1), 30)]) == D(0)
    assert f.countback_dso(receivables=D(10), periods=[]) is None


def test_simple_and_best_possible_dso_and_add():
    # AR 300,000 of which 180,000 not yet due; 90-day sales 450,000
    dso = f.simple_dso(receivables=D(300_000), sales=D(450_000), days=90)
    bpdso = f.best_possible_dso(current_receivables=D(180_000), sales=D(450_000), days=90)
    assert (dso, bpdso) == (D("60.0"), D("36.0"))
    assert f.average_days_delinquent(dso=dso, best_possible=bpdso) == D("24.0")
    assert f.simple_dso(receivables=D(1), sales=D(0), days=90) is None
    assert f.average_days_delinquent(dso=None, best_possible=bpdso) is None


def test_weighted_days_late():
    # 1,000 paid 10 days late, 3,000 paid 2 days early: (10,000 - 6,000) / 4,000 = 1.0
    assert f.weighted_days_late([(D(1000), 10), (D(3000), -2)]) == D("1.0")
    assert f.weighted_days_late([]) is None


def test_collection_effectiveness_index():
    # opening 100,000 + sales 50,000 - closing 60,000 = 90,000 collected
    # of 100,000 + 50,000 - closing current 30,000 = 120,000 collectible -> 75 %
    assert f.collection_effectiveness_index(
        opening_receivables=D(100_000),
        sales=D(50_000),
        closing_receivables=D(60_000),
        closing_current=D(30_000),
    ) == D("75.0")


def test_percent_current_ddo_and_cycle_time():
    assert f.percent_current(current=D(45), total=D(60)) == D("75.0")
    assert f.percent_current(current=D(0), total=D(0)) is None
    # 12,000 open deductions against 360,000 sales in 90 days -> 3 days
    assert f.days_deductions_outstanding(open_deductions=D(12_000), sales=D(360_000), days=90) == D(
        "3.0"
    )
    assert f.average_days([10, 20, 45]) == D("25.0")
    assert f.average_days([]) is None


def test_ratios():
    assert f.bad_debt_ratio(written_off=D(2_500), sales=D(1_000_000)) == D("0.3")
    assert f.credit_utilisation(exposure=D(80_000), credit_limit=D(100_000)) == D("80.0")
    assert f.credit_utilisation(exposure=D(1), credit_limit=D(0)) is None
    assert f.auto_match_rate(automatic=87, total=120) == D("72.5")
    assert f.collector_effectiveness(collected=D(45_000), assigned=D(60_000)) == D("75.0")
