"""Step-up state is shared by every process (issue 11, item 3): a TOTP code is accepted
once and the wrong-code limit holds, however many workers and threads ask at once.

Each thread here has its own database connection — as separate gunicorn workers do —
and nothing is kept in a cache (the test settings' cache is per process)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from accounts import stepup
from accounts.checks import check_step_up_state_is_shared
from accounts.models import StepUpState
from communities.testing import make_user
from tests.security.helpers import enrol_totp, totp_code


def _in_threads(n: int, work) -> list:
    """Run ``work(i)`` in ``n`` threads released together; their results in order."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def person(transactional_db):
    user = make_user(name="委员")
    enrol_totp(user)
    cache.clear()
    return user


def test_one_code_is_accepted_once_across_connections(person):
    code = totp_code()
    proofs = _in_threads(6, lambda i: stepup.second_factor_from_code(person, code))
    assert sum(p is not None for p in proofs) == 1
    # a per-process cache forgets: here, even after it is emptied the code stays used
    cache.clear()
    assert stepup.second_factor_from_code(person, code) is None


def test_allauth_s_own_forms_share_the_used_code_memory(person):
    """The log-in and reauthentication forms call TOTP.validate_code: same database memory."""
    code = totp_code()
    authenticator = Authenticator.objects.get(user=person, type=Authenticator.Type.TOTP)
    accepted = _in_threads(
        4, lambda i: TOTP(Authenticator.objects.get(pk=authenticator.pk)).validate_code(code)
    )
    assert accepted.count(True) == 1
    cache.clear()
    assert stepup.second_factor_from_code(person, code) is None


def test_the_wrong_code_limit_holds_across_connections(person):
    right = totp_code()
    wrong = [f"{(int(right) + k) % 1_000_000:06d}" for k in range(1, 13)]
    proofs = _in_threads(12, lambda i: stepup.second_factor_from_code(person, wrong[i]))
    assert proofs == [None] * 12
    state = StepUpState.objects.get(user_id=person.pk)
    assert state.failures == stepup.CODE_FAILURES_ALLOWED
    # locked: the right code is refused too, from any process, until the window passes
    cache.clear()
    assert stepup.second_factor_from_code(person, right) is None


def test_a_right_code_resets_the_count(person):
    wrong = f"{(int(totp_code()) + 1) % 1_000_000:06d}"
    for _ in range(stepup.CODE_FAILURES_ALLOWED - 1):
        assert stepup.second_factor_from_code(person, wrong) is None
    assert stepup.second_factor_from_code(person, totp_code()) is not None
    assert StepUpState.objects.get(user_id=person.pk).failures == 0


def test_the_deploy_check_fails_when_codes_are_remembered_per_process(monkeypatch):
    assert check_step_up_state_is_shared(None) == []

    def per_process(self, code):
        return True

    monkeypatch.setattr(TOTP, "_mark_code_used", per_process)
    [error] = check_step_up_state_is_shared(None)
    assert error.id == "accounts.E001"


def _manage(*args, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE")
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_warns_about_a_per_process_cache():
    result = _manage(
        "check",
        "--deploy",
        DJANGO_SETTINGS_MODULE="config.settings.local",
        SECRET_KEY=secrets.token_urlsafe(50),
    )
    assert "accounts.W002" in result.stdout + result.stderr


def test_production_without_cache_url_shares_the_cache_through_the_database():
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="gongguan.example.org",
    )
    assert result.stdout.strip().splitlines()[-1] == "django.core.cache.backends.db.DatabaseCache", (
        result.stderr
    )
