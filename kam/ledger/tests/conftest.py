import pytest


@pytest.fixture(autouse=True)
def _ledger_settings(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
