"""Dunning, activities, promises to pay and collector priorities.

- ``DunningPolicy`` / ``DunningLevel`` / ``DunningTemplate``: how a tenant
  chases money: levels by days overdue (negative days make a friendly
  reminder before the due date), a minimum amount, grace days, a channel
  and an optional fee and interest per level, and per level one template per
  language. A policy applies to customers by risk class or segment; the
  tenant's default policy to everyone else.
- ``DunningRun``: one per tenant and day (unique), so a duplicated beat tick
  or a second worker finds the day's run and does not start another.
- ``DunningLetter``: one per customer per run (unique), grouping the items
  it chases; it carries the delivery state (compare-and-set, so a retried
  task never e-mails twice) and the rendered PDF.
- ``DunningNotice``: one item at one level, unique per (tenant, item,
  level): the database itself refuses to chase an item at a level twice.
- ``DunningCharge``: a fee or interest debit memo posted for a letter,
  unique per (letter, kind, currency), so it is posted once.
- ``CollectionActivity``: calls, notes, e-mails with a next-action date.
- ``PromiseToPay`` / ``PromiseItem``: amount, date and optionally items.
- ``CollectionPriority``: a customer's score for one day with its reasons.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from djmoney.models.fields import CurrencyField

from otc.customers.models import DOCUMENT_LANGUAGES
from otc.ledger.models import amount_field
from otc.tenancy.models import TenantOwnedModel


class DunningChannel(models.TextChoices):
    EMAIL = "email", "E-mail"
    LETTER = "letter", "PDF letter"
    BOTH = "both", "E-mail and PDF letter"


class DunningSettings(TenantOwnedModel):
    """When the tenant's daily dunning runs. Tenants without a row run at
    settings.DUNNING_LOCAL_HOUR in their own time zone."""

    is_enabled = models.BooleanField(default=True)
    local_hour = models.PositiveSmallIntegerField(null=True, blank=True)
    # On the first of each month, every customer with open items gets its
    # statement of account by e-mail (at the dunning hour).
    monthly_statements = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "dunning settings"
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="dunningsettings_tenant_uniq"),
            models.CheckConstraint(
                condition=Q(local_hour__isnull=True) | Q(local_hour__lte=23),
                name="dunningsettings_hour_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Dunning settings of tenant {self.tenant_id}"


class DunningPolicy(TenantOwnedModel):
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    # The policy of customers no other policy claims.
    is_default = models.BooleanField(default=False)
    risk_classes = ArrayField(models.CharField(max_length=1), default=list, blank=True)
    segments = ArrayField(models.CharField(max_length=60), default=list, blank=True)
    # A customer is chased only when its due items add up to this much
    # (tenant base currency); below it a letter costs more than it brings.
    min_amount = amount_field(default=0)
    # Days after a level's day before it is sent (bank float); not applied
    # to reminders before the due date.
    grace_days = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "dunning policies"
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="dunningpolicy_name_uniq"),
            models.UniqueConstraint(
                fields=["tenant"],
                condition=Q(is_default=True),
                name="dunningpolicy_one_default",
            ),
            models.CheckConstraint(
                condition=Q(min_amount__gte=0), name="dunningpolicy_min_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DunningLevel(TenantOwnedModel):
    policy = models.ForeignKey(DunningPolicy, on_delete=models.CASCADE, related_name="levels")
    number = models.PositiveSmallIntegerField()  # 1, 2, 3 ... in order of days
    name = models.CharField(max_length=100)
    days_overdue = models.SmallIntegerField()
    channel = models.CharField(
        max_length=8, choices=DunningChannel.choices, default=DunningChannel.EMAIL
    )
    fee_amount = amount_field(default=0)
    fee_currency = CurrencyField(default="EUR")
    # Annual rate on the overdue open amount, charged for the days since the
    # item was last charged interest.
    interest_rate_percent = models.DecimalField(max_digits=6, decimal_places=3, default=0)

    class Meta:
        ordering = ["policy", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "policy", "number"], name="dunninglevel_number_uniq"
            ),
            models.UniqueConstraint(
                fields=["tenant", "policy", "days_overdue"], name="dunninglevel_days_uniq"
            ),
            models.CheckConstraint(condition=Q(fee_amount__gte=0), name="dunninglevel_fee_gte0"),
            models.CheckConstraint(
                condition=Q(interest_rate_percent__gte=0) & Q(interest_rate_percent__lte=100),
                name="dunninglevel_interest_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.name} ({self.days_overdue:+d} days)"


class DunningTemplate(TenantOwnedModel):
    level = models.ForeignKey(DunningLevel, on_delete=models.CASCADE, related_name="templates")
    language = models.CharField(max_length=8, choices=DOCUMENT_LANGUAGES)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    letter_text = models.TextField()

    class Meta:
        ordering = ["level", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "level", "language"], name="dunningtemplate_lang_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.level} [{self.language}]"


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SELECTED = "selected", "Letters selected, delivering"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed (will resume)"


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Daily schedule"
    MANUAL = "manual", "Started by hand"


class DunningRun(TenantOwnedModel):
    run_date = models.DateField()
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING)
    trigger = models.CharField(max_length=16, choices=RunTrigger.choices)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    selected_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    letter_count = models.PositiveIntegerField(default=0)
    notice_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-run_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "run_date"], name="dunningrun_day_uniq")
        ]

    def __str__(self) -> str:
        return f"Dunning run {self.run_date}"


class LetterStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    PRINTED = "printed", "PDF ready to post"
    FAILED = "failed", "Failed"


class DunningLetter(TenantOwnedModel):
    run = models.ForeignKey(DunningRun, on_delete=models.PROTECT, related_name="letters")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="dunning_letters"
    )
    policy = models.ForeignKey(DunningPolicy, on_delete=models.PROTECT, related_name="letters")
    # The highest level among the letter's items decides template and channel.
    level = models.ForeignKey(DunningLevel, on_delete=models.PROTECT, related_name="letters")
    language = models.CharField(max_length=8)
    channel = models.CharField(max_length=8, choices=DunningChannel.choices)
    status = models.CharField(
        max_length=16, choices=LetterStatus.choices, default=LetterStatus.PENDING
    )
    recipients = ArrayField(models.EmailField(), default=list, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    charges_posted = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "customer_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "run", "customer"], name="dunningletter_run_customer_uniq"
            )
        ]
        indexes = [
            models.Index(
                fields=["tenant", "customer", "created_at"], name="dunningletter_cust_idx"
            ),
            models.Index(fields=["tenant", "run", "status"], name="dunningletter_status_idx"),
        ]

    def __str__(self) -> str:
        return f"Dunning letter {self.pk} to customer {self.customer_id}"


class DunningNotice(TenantOwnedModel):
    """One item chased at one level in one letter."""

    letter = models.ForeignKey(DunningLetter, on_delete=models.PROTECT, related_name="notices")
    run = models.ForeignKey(DunningRun, on_delete=models.PROTECT, related_name="notices")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    open_item = models.ForeignKey(
        "ledger.OpenItem", on_delete=models.PROTECT, related_name="dunning_notices"
    )
    level = models.ForeignKey(DunningLevel, on_delete=models.PROTECT, related_name="notices")
    level_number = models.PositiveSmallIntegerField()
    days_overdue = models.IntegerField()
    currency = CurrencyField()
    open_amount = amount_field()
    open_base_amount = amount_field()
    interest_amount = amount_field(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["letter", "open_item_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "open_item", "level"], name="dunningnotice_item_level_uniq"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "letter"], name="dunningnotice_letter_idx"),
            models.Index(fields=["tenant", "customer"], name="dunningnotice_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"Item {self.open_item_id} at level {self.level_number}"


class ChargeKind(models.TextChoices):
    FEE = "fee", "Dunning fee"
    INTEREST = "interest", "Default interest"


class DunningCharge(TenantOwnedModel):
    letter = models.ForeignKey(DunningLetter, on_delete=models.PROTECT, related_name="charges")
    kind = models.CharField(max_length=8, choices=ChargeKind.choices)
    currency = CurrencyField()
    amount = amount_field()
    open_item = models.OneToOneField(
        "ledger.OpenItem", on_delete=models.PROTECT, related_name="dunning_charge"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "letter", "kind", "currency"], name="dunningcharge_once_uniq"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="dunningcharge_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency}"


class ActivityKind(models.TextChoices):
    CALL = "call", "Call"
    NOTE = "note", "Note"
    EMAIL = "email", "E-mail"


class CallOutcome(models.TextChoices):
    NONE = "", "—"
    REACHED = "reached", "Reached"
    NO_ANSWER = "no_answer", "No answer"
    VOICEMAIL = "voicemail", "Left voicemail"
    WRONG_CONTACT = "wrong_contact", "Wrong contact"


class CollectionActivity(TenantOwnedModel):
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="collection_activities"
    )
    kind = models.CharField(max_length=8, choices=ActivityKind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    outcome = models.CharField(max_length=16, choices=CallOutcome.choices, blank=True)
    contact_name = models.CharField(max_length=200, blank=True)
    next_action_date = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name_plural = "collection activities"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "customer", "created_at"], name="collactivity_cust_idx"),
            models.Index(fields=["tenant", "next_action_date"], name="collactivity_next_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"


class PromiseStatus(models.TextChoices):
    OPEN = "open", "Open"
    KEPT = "kept", "Kept"
    BROKEN = "broken", "Broken"
    CANCELLED = "cancelled", "Cancelled"


class PromiseToPay(TenantOwnedModel):
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="promises_to_pay"
    )
    amount = amount_field()
    currency = CurrencyField()
    promised_date = models.DateField()
    status = models.CharField(
        max_length=12, choices=PromiseStatus.choices, default=PromiseStatus.OPEN
    )
    note = models.CharField(max_length=300, blank=True)
    # How much had been applied to the promise's items (or the customer's
    # debit items) when it was made; the promise is kept once this many
    # more have been applied.
    applied_at_promise = amount_field(default=0)
    applied_so_far = amount_field(default=0)
    resolved_on = models.DateField(null=True, blank=True)
    activity = models.OneToOneField(
        CollectionActivity, null=True, blank=True, on_delete=models.PROTECT, related_name="promise"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-promised_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="promise_amount_positive"),
            models.CheckConstraint(
                condition=(Q(status="open") & Q(resolved_on__isnull=True))
                | (~Q(status="open") & Q(resolved_on__isnull=False)),
                name="promise_resolved_when_closed",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "promised_date"], name="promise_due_idx"),
            models.Index(fields=["tenant", "customer"], name="promise_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"Promise {self.amount} {self.currency} by {self.promised_date}"


class PromiseItem(TenantOwnedModel):
    promise = models.ForeignKey(PromiseToPay, on_delete=models.CASCADE, related_name="items")
    open_item = models.ForeignKey(
        "ledger.OpenItem", on_delete=models.PROTECT, related_name="promise_links"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "promise", "open_item"], name="promiseitem_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"Promise {self.promise_id} item {self.open_item_id}"


class CollectionPriority(TenantOwnedModel):
    """A customer's collection priority on one day, with the reasons."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="collection_priorities"
    )
    day = models.DateField()
    score = models.PositiveIntegerField()
    overdue_base_amount = amount_field()
    max_days_overdue = models.IntegerField()
    dunning_level = models.PositiveSmallIntegerField(default=0)
    broken_promises = models.PositiveSmallIntegerField(default=0)
    risk_class = models.CharField(max_length=1, blank=True)
    reasons = models.JSONField(default=list)

    class Meta:
        verbose_name_plural = "collection priorities"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "customer", "day"], name="collpriority_day_uniq"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "day", "score"], name="collpriority_score_idx"),
        ]

    def __str__(self) -> str:
        return f"Priority {self.score} of customer {self.customer_id} on {self.day}"


class StatementStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class StatementDelivery(TenantOwnedModel):
    """A customer's monthly statement of account: one per customer and
    period (unique), so a repeated tick or task never sends a period twice."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="statement_deliveries"
    )
    period = models.DateField()  # the first day of the month it is sent in
    status = models.CharField(
        max_length=8, choices=StatementStatus.choices, default=StatementStatus.PENDING
    )
    recipients = ArrayField(models.EmailField(), default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "statement deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "customer", "period"], name="statementdelivery_period_uniq"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "period", "status"], name="statementdelivery_status_idx")
        ]

    def __str__(self) -> str:
        return f"Statement {self.period:%Y-%m} to customer {self.customer_id}"
