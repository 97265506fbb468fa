import os
import shutil

import pytest
from django.db import connection
from django.utils import translation
from hypothesis import settings as hypothesis_settings

from communities.testing import make_world

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Timing deadlines make property tests flaky on a loaded 2-core CI machine; speed goals
# live in bench/. Failures print the reproduce blob and seed.
hypothesis_settings.register_profile("gongguan", deadline=None, print_blob=True)
hypothesis_settings.load_profile("gongguan")


def pytest_report_header(config):
    from django.conf import settings

    db = settings.DATABASES["default"]
    return f"database: {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}"


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in settings.LANGUAGE_CODE. A request activates its language in
    the thread and leaves it there; without this, a Chinese page in one test would turn
    the next test's own gettext calls Chinese."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def world(db):
    return make_world()


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://…): the rule lives in the database there")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    return {
        **browser_type_launch_args,
        "executable_path": chromium,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


def pytest_collection_modifyitems(config, items):
    """Browser tests need Debian's Chromium. CI installs it and sets GONGGUAN_REQUIRE_BROWSER,
    so there a missing browser fails; on a bare machine they are skipped with the reason."""
    if shutil.which("chromium") or os.environ.get("GONGGUAN_REQUIRE_BROWSER"):
        return
    skip = pytest.mark.skip(reason="needs Chromium (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)
