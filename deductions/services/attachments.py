"""Attachments of a deduction (proof of delivery, remittance images, the
customer's claim), stored through Django's default storage so production
can put them on S3.

Checks: at most 10 MB; the declared content type must be one we accept and
the first bytes must agree with it, so a renamed executable is refused
whatever its name says.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from deductions.models import DeductionAttachment, DeductionStatus
from deductions.services.workflow import lock_deduction
from otc.audit.services import Actor, audit_record
from otc.errors import NotFound, ValidationFailed
from otc.tenancy.models import Tenant

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024

# Content type -> the signatures its first bytes may start with (None: a
# text format with no signature, checked for being text instead).
ALLOWED_TYPES: dict[str, tuple[bytes, ...] | None] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/tiff": (b"II*\x00", b"MM\x00*"),
    "text/plain": None,
    "text/csv": None,
    "application/xml": None,
    "text/xml": None,
    "message/rfc822": None,
    # Office documents are ZIP containers.
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
}


def _safe_name(name: str) -> str:
    base = PurePath((name or "attachment").replace("\\", "/")).name
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._") or "attachment"
    return cleaned[-120:]


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut off at the end of the sample is fine.
        return error.start >= len(head) - 3
    return True


def check_upload(upload: UploadedFile) -> str:
    """The upload's content type, or ValidationFailed saying what is wrong."""
    size = upload.size or 0
    if size == 0:
        raise ValidationFailed(errors={"file": ["The file is empty."]})
    if size > MAX_ATTACHMENT_BYTES:
        raise ValidationFailed(
            errors={"file": [f"The file is {size / 1024 / 1024:.1f} MB; the limit is 10 MB."]}
        )
    content_type = (upload.content_type or "").split(";")[0].strip().lower()
    if content_type not in ALLOWED_TYPES:
        raise ValidationFailed(
            errors={
                "file": [
                    (
                        f"Files of type '{content_type or 'unknown'}' are not accepted; attach "
                        "a PDF, an image (PNG, JPEG, GIF, TIFF), text, CSV, XML, e-mail or "
                        "Word/Excel document."
                    )
                ]
            }
        )
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    signatures = ALLOWED_TYPES[content_type]
    ok = _looks_like_text(head) if signatures is None else head.startswith(signatures)
    if not ok:
        raise ValidationFailed(
            errors={"file": [f"The file's content is not {content_type}, as its type says."]}
        )
    return content_type


def deduction_attachment_add(
    *,
    tenant: Tenant,
    actor: Actor,
    deduction_id: int,
    upload: UploadedFile,
    description: str = "",
) -> DeductionAttachment:
    content_type = check_upload(upload)
    filename = _safe_name(upload.name or "")
    with transaction.atomic():
        deduction = lock_deduction(tenant=tenant, deduction_id=deduction_id)
        if deduction.status == DeductionStatus.CANCELLED:
            raise ValidationFailed("The deduction is cancelled; nothing more can be attached.")
        attachment = DeductionAttachment(
            tenant=tenant,
            deduction=deduction,
            filename=filename,
            content_type=content_type,
            size=upload.size or 0,
            description=description.strip()[:200],
            uploaded_by=actor.user,
        )
        # Saving the file goes through the default storage (S3 in production);
        # the row then records the name the storage chose.
        attachment.file.save(filename, upload, save=False)
        attachment.save()
        audit_record(
            tenant=tenant,
            actor=actor,
            action="deduction.attachment_added",
            instance=deduction,
            changes={"attachment": {"before": None, "after": f"{filename} ({content_type})"}},
        )
    return attachment


def deduction_attachment_get(
    *, tenant: Tenant, deduction_id: int, attachment_id: int
) -> DeductionAttachment:
    attachment = (
        DeductionAttachment.objects.for_tenant(tenant)
        .filter(pk=attachment_id, deduction_id=deduction_id)
        .first()
    )
    if attachment is None:
        raise NotFound("No such attachment.")
    return attachment
