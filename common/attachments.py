"""Evidence files: the type is decided by the bytes, never by the name or the browser."""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from common.errors import ApplicationError

# (magic prefix, content type, extensions the file name may carry)
_SIGNATURES = [
    (b"%PDF-", "application/pdf", {".pdf"}),
    (b"\x89PNG\r\n\x1a\n", "image/png", {".png"}),
    (b"\xff\xd8\xff", "image/jpeg", {".jpg", ".jpeg"}),
]


class AttachmentError(ApplicationError):
    pass


def sniff(head: bytes) -> tuple[str, set[str]] | None:
    for magic, content_type, extensions in _SIGNATURES:
        if head.startswith(magic):
            return content_type, extensions
    return None


def read_checked(upload, *, field: str = "file") -> tuple[ContentFile, dict]:
    """Read an uploaded file, check its size and that its bytes are what its name says.

    Returns a ContentFile with a random name (the original name is kept only as data)
    and the metadata to store.
    """
    max_bytes = settings.PAYOUT_ATTACHMENT_MAX_BYTES
    name = (getattr(upload, "name", "") or "").rsplit("/", 1)[-1][:200]
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise _error(
            field, _("“%(name)s” is larger than %(mb)s MB.") % {"name": name, "mb": max_bytes // 1048576}
        )
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _error(
            field, _("“%(name)s” is larger than %(mb)s MB.") % {"name": name, "mb": max_bytes // 1048576}
        )
    if not data:
        raise _error(field, _("“%(name)s” is empty.") % {"name": name})
    found = sniff(data[:16])
    if found is None:
        raise _error(field, _("“%(name)s” is not a PDF, PNG or JPEG file.") % {"name": name})
    content_type, extensions = found
    extension = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if extension not in extensions:
        raise _error(
            field,
            _("“%(name)s” is not what its name says: its content is %(type)s.")
            % {"name": name, "type": content_type},
        )
    digest = hashlib.sha256(data).hexdigest()
    stored = ContentFile(data, name=f"{uuid.uuid4().hex}{extension}")
    return stored, {"original_name": name, "content_type": content_type, "size": len(data), "sha256": digest}


def _error(field: str, message: str) -> AttachmentError:
    return AttachmentError(message, extra={"fields": {field: [message]}})
