"""The dunning policy editor (HTML) for credit and collections managers.

- ``policy_create`` / ``policy_edit``: a policy's header (name, assignment
  by risk class and segment, minimum amount, grace days); a new policy is
  created with its first level and template, as a policy never has none;
- ``level_add`` / ``level_edit`` / ``level_delete``: the levels (days
  overdue, negative for a reminder before the due date; channel, fee,
  interest); a new level takes its place by days and starts with the texts
  of the level before it;
- ``template_edit`` / ``template_delete``: one level's template per
  language, with the placeholders beside it and ``letter_preview``, which
  fills the draft for a real customer (HTML or the PDF) without saving.

Every write is ``dunning_policy_create`` or ``dunning_policy_change``: the
same checks as the API, one transaction under the policy's row lock, so a
refused change leaves nothing half-saved. The service's errors land on the
field they name, or above the form. Only roles that may work collections
(the API's write permission) reach these views; another tenant's policy is
404 like a missing one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from collections_app.dunning import selectors
from collections_app.dunning.models import DunningChannel, DunningLevel, DunningPolicy
from collections_app.dunning.policy_forms import (
    LevelForm,
    PolicyForm,
    PreviewForm,
    TemplateForm,
    default_first_level_name,
    default_template,
)
from collections_app.dunning.services.documents import html_to_pdf
from collections_app.dunning.services.letter_preview import dunning_letter_preview
from collections_app.dunning.services.policies import (
    LevelInput,
    PolicyInput,
    dunning_policy_change,
    dunning_policy_create,
    dunning_policy_input,
)
from collections_app.dunning.services.templating import PLACEHOLDERS
from otc.audit.services import Actor
from otc.customers.models import DOCUMENT_LANGUAGES, Customer
from otc.errors import DomainError, NotFound, ValidationFailed
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Perm
from otc.web.permissions import require_perm

_LANGUAGE_NAMES = dict(DOCUMENT_LANGUAGES)


@dataclass(frozen=True)
class _Route:
    """Where a service error goes: paths starting with `prefix` belong to
    `form`, at the field the rest of the path names (only `fields`, if given)."""

    prefix: str
    form: forms.Form
    fields: frozenset[str] | None = None


def _show_errors(error: ValidationFailed, routes: list[_Route], fallback: forms.Form) -> None:
    for path, texts in error.errors.items():
        target: forms.Form = fallback
        name: str | None = None
        for route in routes:
            rest = path[len(route.prefix) :] if path.startswith(route.prefix) else None
            allowed = route.fields is None or rest in route.fields
            if rest is not None and rest in route.form.fields and allowed:
                target, name = route.form, rest
                break
        for text in texts:
            target.add_error(name, text)
    if not error.errors:
        fallback.add_error(None, error.detail)


def _tenant(request: HttpRequest) -> Tenant:
    tenant: Tenant = request.tenant  # type: ignore[attr-defined]
    return tenant


def _policy_or_404(tenant: Tenant, policy_id: int) -> DunningPolicy:
    try:
        return selectors.dunning_policy_get(tenant=tenant, policy_id=policy_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _level_index(data: PolicyInput, number: int) -> int:
    if not 1 <= number <= len(data.levels):
        raise NotFound("No such dunning level.")
    return number - 1


def _level_or_404(policy: DunningPolicy, number: int) -> DunningLevel:
    for level in policy.levels.all():
        if level.number == number:
            return level
    raise Http404("No such dunning level.")


def _tenant_language(tenant: Tenant) -> str:
    language = tenant.locale[:2]
    return language if language in _LANGUAGE_NAMES else "en"


def _detail_url(policy_id: int, number: int | None = None) -> str:
    url = reverse("collections:policy_detail", args=[policy_id])
    return f"{url}#level-{number}" if number else url


def _forms_valid(*forms_: forms.Form) -> bool:
    # Every form is checked, so the page shows all that is wrong at once.
    results = [form.is_valid() for form in forms_]
    return all(results)


def _change_saved(
    request: HttpRequest,
    *,
    policy: DunningPolicy,
    form: forms.Form,
    change: Callable[[PolicyInput], PolicyInput],
    routes: Callable[[], list[_Route]] | None = None,
) -> bool:
    """Apply `change` to the policy through the service. When it is refused,
    put the errors on `form` (at the fields `routes()` names; it is called
    after the change ran, so it can use what the change worked out) and
    return False."""
    try:
        dunning_policy_change(
            tenant=_tenant(request),
            actor=Actor.from_request(request),
            policy_id=policy.pk,
            change=change,
        )
    except ValidationFailed as error:
        _show_errors(error, routes() if routes else [_Route("", form)], form)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except DomainError as error:
        form.add_error(None, error.detail)
    else:
        return True
    return False


@require_perm(Perm.COLLECTIONS_WORK)
def policy_create(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    data = request.POST if request.method == "POST" else None
    policy_form = PolicyForm(
        data, prefix="policy", initial={"is_active": True, "min_amount": 0, "grace_days": 0}
    )
    language = _tenant_language(tenant)
    level_form = LevelForm(
        data,
        prefix="level",
        initial={
            "name": default_first_level_name(language),
            "days_overdue": 7,
            "channel": DunningChannel.EMAIL,
            "fee_amount": 0,
            "fee_currency": str(tenant.base_currency),
            "interest_rate_percent": 0,
        },
    )
    template_form = TemplateForm(
        data,
        prefix="template",
        initial=TemplateForm.initial_from(default_template(language)),
    )
    if data is not None and _forms_valid(policy_form, level_form, template_form):
        policy_input = PolicyInput(
            **policy_form.header(), levels=[level_form.level([template_form.template()])]
        )
        try:
            policy = dunning_policy_create(
                tenant=tenant, actor=Actor.from_request(request), data=policy_input
            )
        except ValidationFailed as error:
            routes = [
                _Route("levels[0].templates[0].", template_form),
                _Route("levels[0].", level_form),
                _Route("", policy_form),
            ]
            _show_errors(error, routes, policy_form)
        except DomainError as error:
            policy_form.add_error(None, error.detail)
        else:
            messages.success(
                request, f"Policy '{policy.name}' created; add its further levels below."
            )
            return redirect(_detail_url(policy.pk))
    return render(
        request,
        "collections_app/dunning/policy_create.html",
        {
            "policy_form": policy_form,
            "level_form": level_form,
            "template_form": template_form,
            "placeholders": PLACEHOLDERS.items(),
        },
    )


@require_perm(Perm.COLLECTIONS_WORK)
def policy_edit(request: HttpRequest, policy_id: int) -> HttpResponse:
    tenant = _tenant(request)
    policy = _policy_or_404(tenant, policy_id)
    current = dunning_policy_input(tenant=tenant, policy=policy)
    form = PolicyForm(initial=PolicyForm.initial_from(current))
    if request.method == "POST":
        form = PolicyForm(request.POST)
        if form.is_valid():
            header = form.header()
            if _change_saved(
                request, policy=policy, form=form, change=lambda data: replace(data, **header)
            ):
                messages.success(request, "Policy saved.")
                return redirect(_detail_url(policy.pk))
    return render(
        request,
        "collections_app/dunning/policy_edit.html",
        {"policy": policy, "form": form},
    )


@require_perm(Perm.COLLECTIONS_WORK)
def level_add(request: HttpRequest, policy_id: int) -> HttpResponse:
    tenant = _tenant(request)
    policy = _policy_or_404(tenant, policy_id)
    current = dunning_policy_input(tenant=tenant, policy=policy)
    last = current.levels[-1] if current.levels else None
    form = LevelForm(
        initial={
            "days_overdue": last.days_overdue + 14 if last else 7,
            "channel": last.channel if last else DunningChannel.EMAIL,
            "fee_amount": 0,
            "fee_currency": last.fee_currency if last else str(tenant.base_currency),
            "interest_rate_percent": 0,
        }
    )
    if request.method == "POST":
        form = LevelForm(request.POST)
        if form.is_valid():
            new = form.level([])
            placed: dict[str, int] = {}

            def insert(data: PolicyInput) -> PolicyInput:
                levels = list(data.levels)
                index = sum(1 for level in levels if level.days_overdue < new.days_overdue)
                # The texts of the level before (or the first) are a start
                # that already saves; the manager adapts them next.
                source = levels[index - 1] if index > 0 else levels[0]
                levels.insert(index, replace(new, templates=list(source.templates)))
                placed.update(index=index, source=levels.index(source) + 1)
                return replace(data, levels=levels)

            def routes() -> list[_Route]:
                index = placed.get("index", len(current.levels))
                return [
                    _Route(f"levels[{index}].", form),
                    _Route(f"levels[{index + 1}].", form, frozenset({"days_overdue"})),
                ]

            if _change_saved(request, policy=policy, form=form, change=insert, routes=routes):
                number = placed["index"] + 1
                messages.success(
                    request,
                    f"Level {number} '{new.name}' added with the texts of level "
                    f"{placed['source']}; adapt them below.",
                )
                return redirect(_detail_url(policy.pk, number))
    return render(
        request,
        "collections_app/dunning/level_form.html",
        {"policy": policy, "form": form, "level": None},
    )


@require_perm(Perm.COLLECTIONS_WORK)
def level_edit(request: HttpRequest, policy_id: int, number: int) -> HttpResponse:
    tenant = _tenant(request)
    policy = _policy_or_404(tenant, policy_id)
    level = _level_or_404(policy, number)
    current = dunning_policy_input(tenant=tenant, policy=policy)
    form = LevelForm(initial=LevelForm.initial_from(current.levels[number - 1]))
    if request.method == "POST":
        form = LevelForm(request.POST)
        if form.is_valid():

            def edit(data: PolicyInput) -> PolicyInput:
                index = _level_index(data, number)
                levels = list(data.levels)
                levels[index] = replace(
                    form.level(list(levels[index].templates)), level_id=levels[index].level_id
                )
                return replace(data, levels=levels)

            routes = [
                _Route(f"levels[{number - 1}].", form),
                _Route(f"levels[{number}].", form, frozenset({"days_overdue"})),
            ]
            if _change_saved(request, policy=policy, form=form, change=edit, routes=lambda: routes):
                messages.success(request, f"Level {number} saved.")
                return redirect(_detail_url(policy.pk, number))
    return render(
        request,
        "collections_app/dunning/level_form.html",
        {"policy": policy, "form": form, "level": level},
    )


@require_POST
@require_perm(Perm.COLLECTIONS_WORK)
def level_delete(request: HttpRequest, policy_id: int, number: int) -> HttpResponse:
    tenant = _tenant(request)
    policy = _policy_or_404(tenant, policy_id)
    level = _level_or_404(policy, number)

    def remove(data: PolicyInput) -> PolicyInput:
        levels = list(data.levels)
        del levels[_level_index(data, number)]
        return replace(data, levels=levels)

    try:
        dunning_policy_change(
            tenant=tenant, actor=Actor.from_request(request), policy_id=policy.pk, change=remove
        )
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except DomainError as error:
        messages.error(request, error.detail)
        return redirect(_detail_url(policy.pk, number))
    messages.success(request, f"Level {number} '{level.name}' removed.")
    return redirect(_detail_url(policy.pk))


def _template_page(
    request: HttpRequest,
    *,
    policy: DunningPolicy,
    level: DunningLevel,
    form: TemplateForm,
    language: str | None,
    today: date,
) -> HttpResponse:
    tenant = _tenant(request)
    candidates = selectors.letter_preview_customers(tenant=tenant, day=today)
    preview_form = PreviewForm(
        prefix="preview", initial={"customer": candidates[0].number if candidates else ""}
    )
    preview_args = [policy.pk, level.number]
    return render(
        request,
        "collections_app/dunning/template_form.html",
        {
            "policy": policy,
            "level": level,
            "form": form,
            "language": language,
            "language_name": _LANGUAGE_NAMES.get(language or "", ""),
            "preview_form": preview_form,
            "preview_customers": candidates,
            "preview_url": reverse("collections:policy_letter_preview", args=preview_args),
            "preview_pdf_url": reverse("collections:policy_letter_preview_pdf", args=preview_args),
            "placeholders": PLACEHOLDERS.items(),
            "can_delete": language is not None and level.templates.count() > 1,
        },
    )


@require_perm(Perm.COLLECTIONS_WORK)
def template_edit(
    request: HttpRequest, policy_id: int, number: int, language: str | None = None
) -> HttpResponse:
    """Edit the level's template in `language`, or add one (no `language`)."""
    tenant = _tenant(request)
    policy = _policy_or_404(tenant, policy_id)
    level = _level_or_404(policy, number)
    current = dunning_policy_input(tenant=tenant, policy=policy)
    templates = {t.language: t for t in current.levels[number - 1].templates}
    if language is not None and language not in templates:
        raise Http404("No template in this language.")
    missing = [(code, name) for code, name in DOCUMENT_LANGUAGES if code not in templates]
    if language is None and not missing:
        messages.info(request, "This level has a template in every language already.")
        return redirect(_detail_url(policy.pk, number))
    if language is not None:
        initial = TemplateForm.initial_from(templates[language])
    else:
        # A new language starts from the level's first template, to translate.
        first = next(iter(templates.values()), None)
        start = first or default_template("en")
        initial = {**TemplateForm.initial_from(start), "language": missing[0][0]}
    choices = [(language, _LANGUAGE_NAMES[language])] if language else missing
    form = TemplateForm(initial=initial, language_choices=choices)
    if request.method == "POST":
        form = TemplateForm(request.POST, language_choices=choices)
        if form.is_valid():
            draft = form.template()
            placed: dict[str, int] = {}

            def save(data: PolicyInput) -> PolicyInput:
                index = _level_index(data, number)
                levels = list(data.levels)
                kept = [t for t in levels[index].templates if t.language != draft.language]
                changed = sorted([*kept, draft], key=lambda t: t.language)
                placed["template"] = changed.index(draft)
                levels[index] = replace(levels[index], templates=changed)
                return replace(data, levels=levels)

            def routes() -> list[_Route]:
                prefix = f"levels[{number - 1}].templates[{placed.get('template', 0)}]."
                return [_Route(prefix, form)]

            if _change_saved(request, policy=policy, form=form, change=save, routes=routes):
                messages.success(
                    request,
                    f"Template of level {number} in {_LANGUAGE_NAMES[draft.language]} saved.",
                )
                return redirect(
                    "collections:policy_template_edit",
                    policy_id=policy.pk,
                    number=number,
                    language=draft.language,
                )
    return _template_page(
        request,
        policy=policy,
        level=level,
        form=form,
        language=language,
        today=tenant_today(tenant),
    )


@require_POST
@require_perm(Perm.COLLECTIONS_WORK)
def template_delete(
    request: HttpRequest, policy_id: int, number: int, language: str
) -> HttpResponse:
    tenant = _tenant(request)
    policy = _policy_or_404(tenant, policy_id)
    _level_or_404(policy, number)

    def remove(data: PolicyInput) -> PolicyInput:
        index = _level_index(data, number)
        level: LevelInput = data.levels[index]
        if language not in {t.language for t in level.templates}:
            raise NotFound("No template in this language.")
        templates = [t for t in level.templates if t.language != language]
        levels = list(data.levels)
        levels[index] = replace(level, templates=templates)
        return replace(data, levels=levels)

    try:
        dunning_policy_change(
            tenant=tenant, actor=Actor.from_request(request), policy_id=policy.pk, change=remove
        )
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(
            request,
            f"Template of level {number} in {_LANGUAGE_NAMES.get(language, language)} removed.",
        )
    return redirect(_detail_url(policy.pk, number))


def _preview_problem(texts: list[str]) -> HttpResponse:
    items = format_html_join("", "<li>{}</li>", ((text,) for text in texts))
    return HttpResponse(
        format_html(
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            "<title>Preview not possible</title></head>"
            '<body style="font-family:sans-serif;color:#991b1b">'
            "<p>Fix this to see the letter:</p><ul>{}</ul></body></html>",
            items,
        ),
        status=422,
    )


@require_POST
@require_perm(Perm.COLLECTIONS_WORK)
@xframe_options_sameorigin
def letter_preview(
    request: HttpRequest, policy_id: int, number: int, as_pdf: bool = False
) -> HttpResponse:
    """The letter the posted draft makes for the chosen customer today, as
    HTML (shown in the editor's frame) or PDF; nothing is saved."""
    tenant = _tenant(request)
    policy = _policy_or_404(tenant, policy_id)
    level = _level_or_404(policy, number)
    today = tenant_today(tenant)
    form = TemplateForm(request.POST, language_choices=list(DOCUMENT_LANGUAGES))
    preview_form = PreviewForm(request.POST, prefix="preview")
    if not _forms_valid(form, preview_form):
        texts = [
            f"{form.fields[name].label or name.capitalize()}: {error}"
            if name in form.fields
            else str(error)
            for name, errors in {**form.errors, **preview_form.errors}.items()
            for error in errors
        ]
        return _preview_problem(texts)
    customer: Customer | None = None
    number_text = preview_form.cleaned_data["customer"]
    try:
        if number_text:
            customer = selectors.customer_by_number(tenant=tenant, number=number_text)
        else:
            candidates = selectors.letter_preview_customers(tenant=tenant, day=today, limit=1)
            if candidates:
                customer = selectors.customer_by_number(tenant=tenant, number=candidates[0].number)
        preview = dunning_letter_preview(
            tenant=tenant, level=level, draft=form.template(), customer=customer, as_of=today
        )
    except ValidationFailed as error:
        labels = {name: field.label or name for name, field in form.fields.items()}
        return _preview_problem(
            [
                f"{labels.get(name, name)}: {text}"
                for name, texts in error.errors.items()
                for text in texts
            ]
            or [error.detail]
        )
    except NotFound as error:
        return _preview_problem([error.detail])
    if as_pdf:
        response = HttpResponse(html_to_pdf(preview.html), content_type="application/pdf")
        name = customer.number if customer else "sample"
        response["Content-Disposition"] = (
            f'inline; filename="preview-level-{number}-{name}-{today.isoformat()}.pdf"'
        )
        return response
    return HttpResponse(preview.html)
