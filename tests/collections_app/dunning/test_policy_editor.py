"""The dunning policy editor in the browser: a manager creates and edits a
policy, its levels and templates through the pages, sees the service's
errors as form messages with nothing saved, and previews a draft letter for
a real customer without saving it. Roles that may not work collections get
403; another tenant's policy is 404 and stays as it was."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine

from collections_app.dunning.models import (
    DunningLetter,
    DunningLevel,
    DunningPolicy,
    DunningTemplate,
)
from collections_app.dunning.services.runs import dunning_run_start
from otc.audit.models import AuditEvent
from otc.tenancy.context import tenant_context
from tests.collections_app.dunning.helpers import SYSTEM, customer, invoice, standard_policy

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 20)
BASE = "/collections/policies"


@pytest.fixture
def book(tenant_a, tenant_b):
    with tenant_context(tenant_b):
        other_policy = standard_policy(tenant_b, name="Bravo standard")
        other = customer(tenant_b, "B1")
        invoice(tenant_b, other, "B-INV-9", "777.00", due=DAY - timedelta(days=30))
    with tenant_context(tenant_a):
        policy = standard_policy(tenant_a)
        c1 = customer(tenant_a, "C1")
        invoice(tenant_a, c1, "INV-1001", "1234.50", due=DAY - timedelta(days=10))
    return {"policy": policy, "other_policy": other_policy, "customer": c1}


def _snapshot(tenant):
    with tenant_context(tenant):
        return (
            list(DunningPolicy.objects.values_list("id", "name", "min_amount", "risk_classes")),
            list(DunningLevel.objects.values_list("id", "number", "name", "days_overdue")),
            list(DunningTemplate.objects.values_list("id", "language", "subject", "body")),
        )


def _template_post(**overrides):
    data = {
        "language": "en",
        "subject": "{level_name}: {total_due}",
        "body": "Dear {contact_name}, please pay {total_due}.\n\n{items}",
        "letter_text": "Dear {contact_name},\n\n{item_count} items are due.",
        "preview-customer": "",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("locale", "language", "level_name", "text"),
    [
        ("de-DE", "de", "Zahlungserinnerung", "Sehr geehrte(r) {contact_name}"),
        ("en", "en", "First reminder", "Dear {contact_name}"),
    ],
)
def test_a_new_policy_starts_with_a_text_in_the_tenants_language(
    tenant_a, signed_in_client, locale, language, level_name, text
):
    tenant_a.locale = locale
    tenant_a.save(update_fields=["locale"])
    client = signed_in_client(tenant_a, "credit_manager")
    context = client.get(f"{BASE}/new/").context
    form = context["template_form"]
    assert form.initial["language"] == language
    assert form.initial["body"].startswith(text)
    assert context["level_form"].initial["name"] == level_name


@time_machine.travel(DAY, tick=False)
def test_create_a_policy_through_the_page(book, tenant_a, tenant_b, signed_in_client):
    client = signed_in_client(tenant_a, "credit_manager")
    other_before = _snapshot(tenant_b)
    page = client.get(f"{BASE}/").content.decode()
    assert 'data-testid="new-policy"' in page
    form = client.get(f"{BASE}/new/").content.decode()
    assert "{total_due}" in form  # the placeholders beside the template
    response = client.post(
        f"{BASE}/new/",
        {
            "policy-name": "Retail class D",
            "policy-description": "Tighter for risky retail",
            "policy-risk_classes": ["D", "E"],
            "policy-segments": "retail, online ",
            "policy-min_amount": "25.00",
            "policy-grace_days": "3",
            "policy-is_active": "on",
            "level-name": "Pre-due reminder",
            "level-days_overdue": "-5",
            "level-channel": "email",
            "level-fee_amount": "0",
            "level-fee_currency": "EUR",
            "level-interest_rate_percent": "0",
            "template-language": "de",
            "template-subject": "Erinnerung: {total_due}",
            "template-body": "Hallo {contact_name}, bald fällig: {items}",
            "template-letter_text": "{company_name} erinnert an {total_due}.",
        },
    )
    assert response.status_code == 302
    with tenant_context(tenant_a):
        policy = DunningPolicy.objects.get(name="Retail class D")
        assert response["Location"] == f"{BASE}/{policy.pk}/"
        assert (policy.risk_classes, policy.segments) == (["D", "E"], ["online", "retail"])
        assert (policy.min_amount, policy.grace_days, policy.is_default) == (Decimal(25), 3, False)
        level = policy.levels.get()
        assert (level.number, level.days_overdue, level.channel) == (1, -5, "email")
        assert level.templates.get().subject == "Erinnerung: {total_due}"
        assert AuditEvent.objects.filter(action="dunning.policy_created").count() == 2
    assert _snapshot(tenant_b) == other_before


@time_machine.travel(DAY, tick=False)
def test_create_shows_the_service_errors_and_saves_nothing(book, tenant_a, signed_in_client):
    client = signed_in_client(tenant_a, "credit_manager")
    before = _snapshot(tenant_a)
    response = client.post(
        f"{BASE}/new/",
        {
            "policy-name": "Standard",  # taken
            "policy-min_amount": "0",
            "policy-grace_days": "0",
            "level-name": "First",
            "level-days_overdue": "7",
            "level-channel": "email",
            "level-fee_amount": "0",
            "level-fee_currency": "EUR",
            "level-interest_rate_percent": "0",
            "template-language": "en",
            "template-subject": "Pay {amount_due}",
            "template-body": "Body",
            "template-letter_text": "Text",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Unknown placeholder {amount_due}" in page
    assert _snapshot(tenant_a) == before
    # With the placeholder fixed, the duplicate name is what is left to fix.
    data = response.wsgi_request.POST.copy()
    data["template-subject"] = "Pay {total_due}"
    page = client.post(f"{BASE}/new/", data).content.decode()
    assert "A policy with this name already exists." in page
    assert _snapshot(tenant_a) == before


@time_machine.travel(DAY, tick=False)
def test_edit_header_levels_and_templates(book, tenant_a, signed_in_client):
    client = signed_in_client(tenant_a, "collector")
    policy = book["policy"]
    url = f"{BASE}/{policy.pk}"
    detail = client.get(f"{url}/").content.decode()
    assert 'data-testid="edit-policy"' in detail

    edit = client.get(f"{url}/edit/").content.decode()
    assert 'value="Standard"' in edit
    response = client.post(
        f"{url}/edit/",
        {
            "name": "Standard EU",
            "is_default": "on",
            "is_active": "on",
            "risk_classes": ["B"],
            "segments": "",
            "min_amount": "10.00",
            "grace_days": "2",
        },
    )
    assert response.status_code == 302

    # A level between 7 and 21 days takes number 3 and the texts of level 2.
    response = client.post(
        f"{url}/levels/new/",
        {
            "name": "Gentle nudge",
            "days_overdue": "14",
            "channel": "letter",
            "fee_amount": "2.50",
            "fee_currency": "EUR",
            "interest_rate_percent": "4",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"{url}/#level-3"

    response = client.post(
        f"{url}/levels/1/",
        {
            "name": "Friendly reminder",
            "days_overdue": "-2",
            "channel": "email",
            "fee_amount": "0",
            "fee_currency": "EUR",
            "interest_rate_percent": "0",
        },
    )
    assert response.status_code == 302

    response = client.post(
        f"{url}/levels/3/templates/new/", _template_post(language="fr", subject="Relance")
    )
    assert response.status_code == 302
    response = client.post(f"{url}/levels/3/templates/en/", _template_post(subject="Nudge"))
    assert response.status_code == 302
    response = client.post(f"{url}/levels/3/templates/fr/delete/")
    assert response.status_code == 302

    with tenant_context(tenant_a):
        policy.refresh_from_db()
        assert (policy.name, policy.min_amount, policy.risk_classes) == (
            "Standard EU",
            Decimal(10),
            ["B"],
        )
        levels = list(policy.levels.order_by("number"))
        assert [(lv.number, lv.name, lv.days_overdue) for lv in levels] == [
            (1, "Friendly reminder", -2),
            (2, "First reminder", 7),
            (3, "Gentle nudge", 14),
            (4, "Second reminder", 21),
            (5, "Final demand", 45),
        ]
        nudge = levels[2]
        assert (nudge.channel, nudge.fee_amount, nudge.interest_rate_percent) == (
            "letter",
            Decimal("2.50"),
            4,
        )
        assert [(t.language, t.subject) for t in nudge.templates.all()] == [("en", "Nudge")]
        # Level 4 keeps both its languages through the renumbering.
        assert sorted(levels[3].templates.values_list("language", flat=True)) == ["de", "en"]

    response = client.post(f"{url}/levels/3/delete/")
    assert response.status_code == 302
    with tenant_context(tenant_a):
        assert list(policy.levels.order_by("number").values_list("name", flat=True)) == [
            "Friendly reminder",
            "First reminder",
            "Second reminder",
            "Final demand",
        ]


@time_machine.travel(DAY, tick=False)
def test_errors_are_shown_on_the_form_and_nothing_is_saved(book, tenant_a, signed_in_client):
    client = signed_in_client(tenant_a, "credit_manager")
    url = f"{BASE}/{book['policy'].pk}"
    before = _snapshot(tenant_a)

    page = client.post(
        f"{url}/levels/2/templates/en/",
        _template_post(body="Dear {contact_name}, pay {amount} by {deadline}."),
    ).content.decode()
    assert "Unknown placeholder {amount}, {deadline}." in page

    # Level 2 (7 days) moved past level 3 (21 days) overlaps it.
    page = client.post(
        f"{url}/levels/2/",
        {
            "name": "First reminder",
            "days_overdue": "30",
            "channel": "email",
            "fee_amount": "0",
            "fee_currency": "EUR",
            "interest_rate_percent": "0",
        },
    ).content.decode()
    assert "Level 3 (21 days) overlaps level 2 (30 days)" in page

    page = client.post(
        f"{url}/levels/new/",
        {
            "name": "Same day",
            "days_overdue": "21",
            "channel": "email",
            "fee_amount": "-1",
            "fee_currency": "EUR",
            "interest_rate_percent": "0",
        },
    ).content.decode()
    assert "overlaps" in page
    assert "The fee cannot be negative." in page

    # The last template of a level cannot go: the policy service refuses it.
    response = client.post(f"{url}/levels/1/templates/en/delete/", follow=True)
    assert "Each level needs a template in at least one language." in response.content.decode()
    assert _snapshot(tenant_a) == before


@time_machine.travel(DAY, tick=False)
def test_a_level_already_sent_cannot_be_deleted(book, tenant_a, signed_in_client):
    client = signed_in_client(tenant_a, "credit_manager")
    url = f"{BASE}/{book['policy'].pk}"
    with tenant_context(tenant_a):
        dunning_run_start(tenant=tenant_a, actor=SYSTEM, run_date=DAY, trigger="manual")
        assert DunningLetter.objects.get().level.number == 2  # 10 days overdue
    for number in (4, 3):  # never sent: they go
        assert client.post(f"{url}/levels/{number}/delete/").status_code == 302
    before = _snapshot(tenant_a)
    response = client.post(f"{url}/levels/2/delete/", follow=True)
    assert "Level 2 (First reminder) has been sent and cannot be removed" in (
        response.content.decode()
    )
    assert _snapshot(tenant_a) == before


@time_machine.travel(DAY, tick=False)
def test_a_sent_level_keeps_its_row_and_its_place(book, tenant_a, signed_in_client):
    """Letters point at their level: a new level may not push a sent one to
    another number; one after it goes in, and editing the sent level keeps
    its row (the letter shows the level it was sent at)."""
    client = signed_in_client(tenant_a, "credit_manager")
    url = f"{BASE}/{book['policy'].pk}"
    with tenant_context(tenant_a):
        dunning_run_start(tenant=tenant_a, actor=SYSTEM, run_date=DAY, trigger="manual")
        sent = DunningLetter.objects.get().level
    assert (sent.number, sent.name) == (2, "First reminder")
    level = {
        "name": "Courtesy call",
        "days_overdue": "3",
        "channel": "email",
        "fee_amount": "0",
        "fee_currency": "EUR",
        "interest_rate_percent": "0",
    }
    before = _snapshot(tenant_a)
    response = client.post(f"{url}/levels/new/", level, follow=True)
    assert "Level 2 (First reminder) has been sent and keeps its place" in (
        response.content.decode()
    )
    assert _snapshot(tenant_a) == before

    # Between the sent level and the next: only unsent levels move.
    response = client.post(f"{url}/levels/new/", {**level, "days_overdue": "14"})
    assert response.status_code == 302
    response = client.post(
        f"{url}/levels/2/",
        {**level, "name": "First reminder (e-mail)", "days_overdue": "8"},
    )
    assert response.status_code == 302
    with tenant_context(tenant_a):
        levels = list(
            DunningLevel.objects.filter(policy=book["policy"])
            .order_by("number")
            .values_list("id", "number", "name", "days_overdue")
        )
        letter = DunningLetter.objects.select_related("level").get()
    assert [row[1:] for row in levels] == [
        (1, "Friendly reminder", -3),
        (2, "First reminder (e-mail)", 8),
        (3, "Courtesy call", 14),
        (4, "Second reminder", 21),
        (5, "Final demand", 45),
    ]
    assert levels[1][0] == sent.pk
    assert (letter.level.pk, letter.level.number) == (sent.pk, 2)
    # The texts of the moved levels moved with them.
    with tenant_context(tenant_a):
        assert set(
            DunningTemplate.objects.filter(
                level__number=4, level__policy=book["policy"]
            ).values_list("language", flat=True)
        ) == {"en", "de"}


@time_machine.travel(DAY, tick=False)
def test_preview_fills_the_draft_for_a_real_customer_without_saving(
    book, tenant_a, signed_in_client
):
    client = signed_in_client(tenant_a, "credit_manager")
    url = f"{BASE}/{book['policy'].pk}/levels/2"
    page = client.get(f"{url}/templates/en/").content.decode()
    assert 'value="C1"' in page  # the most overdue customer is offered first
    before = _snapshot(tenant_a)
    draft = _template_post(
        subject="Draft for {customer_name}",
        letter_text="Dear {contact_name},\n\nplease pay {total_due} ({item_count} item).",
        **{"preview-customer": "C1"},
    )
    response = client.post(f"{url}/preview/", draft)
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    html = response.content.decode()
    assert "Draft for C1 GmbH" in html
    assert "Dear AP C1," in html
    assert "INV-1001" in html
    assert "1,234.50" in html
    assert "B-INV-9" not in html  # the other tenant's invoice
    pdf = client.post(f"{url}/preview.pdf", draft)
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    # No customer named: the most overdue one fills it.
    html = client.post(f"{url}/preview/", _template_post()).content.decode()
    assert "INV-1001" in html
    with tenant_context(tenant_a):
        assert DunningLetter.objects.count() == 0
    assert _snapshot(tenant_a) == before

    bad = client.post(f"{url}/preview/", _template_post(subject="Pay {amount_due}"))
    assert bad.status_code == 422
    assert "Unknown placeholder {amount_due}" in bad.content.decode()
    # Another tenant's customer number is not found, like a missing one.
    missing = client.post(f"{url}/preview/", _template_post(**{"preview-customer": "B1"}))
    assert missing.status_code == 422
    assert "No customer numbered &#x27;B1&#x27;." in missing.content.decode()


@time_machine.travel(DAY, tick=False)
def test_preview_uses_sample_figures_when_the_tenant_has_no_customer(tenant_a, signed_in_client):
    with tenant_context(tenant_a):
        policy = standard_policy(tenant_a)
    client = signed_in_client(tenant_a, "credit_manager")
    html = client.post(f"{BASE}/{policy.pk}/levels/1/preview/", _template_post()).content.decode()
    assert "Example Customer Ltd" in html


def test_other_tenants_policy_is_404_and_unchanged(book, tenant_a, tenant_b, signed_in_client):
    client = signed_in_client(tenant_a, "credit_manager")
    other = book["other_policy"].pk
    before = _snapshot(tenant_b)
    for path in (
        f"{BASE}/{other}/edit/",
        f"{BASE}/{other}/levels/new/",
        f"{BASE}/{other}/levels/1/",
        f"{BASE}/{other}/levels/1/templates/en/",
    ):
        assert client.get(path).status_code == 404, path
    posts = {
        f"{BASE}/{other}/edit/": {"name": "Hijacked", "min_amount": "0", "grace_days": "0"},
        f"{BASE}/{other}/levels/1/delete/": {},
        f"{BASE}/{other}/levels/1/templates/en/": _template_post(subject="Hijacked"),
        f"{BASE}/{other}/levels/1/preview/": _template_post(),
    }
    for path, data in posts.items():
        assert client.post(path, data).status_code == 404, path
    # A level or language the policy does not have is 404 as well.
    mine = book["policy"].pk
    assert client.get(f"{BASE}/{mine}/levels/9/").status_code == 404
    assert client.get(f"{BASE}/{mine}/levels/1/templates/fr/").status_code == 404
    assert _snapshot(tenant_b) == before


def test_a_role_without_collections_work_gets_403(book, tenant_a, signed_in_client):
    client = signed_in_client(tenant_a, "credit_analyst")
    policy = book["policy"].pk
    before = _snapshot(tenant_a)
    detail = client.get(f"{BASE}/{policy}/")
    assert detail.status_code == 200  # may read the policy
    assert 'data-testid="edit-policy"' not in detail.content.decode()
    assert 'data-testid="new-policy"' not in client.get(f"{BASE}/").content.decode()
    for path in (f"{BASE}/new/", f"{BASE}/{policy}/edit/", f"{BASE}/{policy}/levels/1/"):
        assert client.get(path).status_code == 403, path
    for path, data in {
        f"{BASE}/new/": {"policy-name": "Sneaky"},
        f"{BASE}/{policy}/edit/": {"name": "Sneaky", "min_amount": "0", "grace_days": "0"},
        f"{BASE}/{policy}/levels/1/delete/": {},
        f"{BASE}/{policy}/levels/1/templates/en/delete/": {},
        f"{BASE}/{policy}/levels/1/preview/": _template_post(),
    }.items():
        assert client.post(path, data).status_code == 403, path
    assert _snapshot(tenant_a) == before
