from django.core.checks import run_checks
from django.test import override_settings


def ids(messages):
    return {m.id for m in messages}


def test_a_complete_setup_passes():
    assert not {i for i in ids(run_checks()) if i.startswith("wagtail_pmolib.")}


@override_settings(WAGTAIL_PMOLIB={"NO_SUCH_KEY": 1})
def test_bad_settings_are_an_error_not_a_crash():
    messages = [m for m in run_checks() if m.id == "wagtail_pmolib.E001"]
    assert messages and "NO_SUCH_KEY" in messages[0].msg


@override_settings(ROOT_URLCONF="tests.urls_without_pmolib")
def test_missing_feedback_urls_are_reported():
    assert "wagtail_pmolib.W002" in ids(run_checks())


def test_missing_settings_app_is_reported(monkeypatch):
    from django.apps import apps

    from wagtail_pmolib import checks

    installed = apps.is_installed
    monkeypatch.setattr(
        checks.apps,
        "is_installed",
        lambda name: name != "wagtail.contrib.settings" and installed(name),
    )
    assert "wagtail_pmolib.W001" in ids(checks.check_feedback_setup(None))
