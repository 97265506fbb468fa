import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """The release payout's evidence (the settlement PDF) is stored under a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
