"""The stand-alone verifier, offered from the site: its guide as a page (the text of
docs/verify.md, in the site's language) and the one file to download. Public, like the
disclosures it checks."""

from __future__ import annotations

import functools
import hashlib

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

VERIFIER_NAME = "verify_disclosure.py"


@functools.cache
def verifier_source() -> bytes:
    """The verifier shipped with this release (tools/verify_disclosure.py)."""
    return (settings.BASE_DIR / "tools" / VERIFIER_NAME).read_bytes()


def verifier_sha256() -> str:
    return hashlib.sha256(verifier_source()).hexdigest()


def verify_command(*files: str) -> str:
    """The command line to show: in Chinese pages the result's headline is printed in Chinese."""
    lang = " --lang zh" if (get_language() or "").startswith("zh") else ""
    return f"python3 {VERIFIER_NAME}{lang} {' '.join(files)}"


@require_safe
def verifier_guide(request):
    return render(
        request,
        "escrow/disclosures/verify_guide.html",
        {
            "sha256": verifier_sha256(),
            "command": verify_command("disclosure.json", "ledger.jsonl"),
            "state_command": verify_command("disclosure.json", "ledger.jsonl", "--state", "trusted.json"),
        },
    )


@require_safe
def verifier_download(request):
    response = HttpResponse(verifier_source(), content_type="text/x-python; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{VERIFIER_NAME}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
