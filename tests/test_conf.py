import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from wagtail_pmolib.conf import DEFAULTS, pmolib_settings


def test_defaults_apply_without_the_setting():
    assert DEFAULTS["BASE_TEMPLATE"] == pmolib_settings.BASE_TEMPLATE
    assert pmolib_settings.INDEX_PAGE_SIZE == 12


def test_override_settings_is_picked_up_and_undone():
    with override_settings(WAGTAIL_PMOLIB={"INDEX_PAGE_SIZE": 5}):
        assert pmolib_settings.INDEX_PAGE_SIZE == 5
        assert DEFAULTS["MAX_PAGE_SIZE"] == pmolib_settings.MAX_PAGE_SIZE
    assert pmolib_settings.INDEX_PAGE_SIZE == 12


def test_unknown_keys_are_rejected_with_their_names():
    with (
        override_settings(WAGTAIL_PMOLIB={"INDEX_PAGESIZE": 5}),
        pytest.raises(ImproperlyConfigured, match="INDEX_PAGESIZE"),
    ):
        pmolib_settings.INDEX_PAGE_SIZE


@pytest.mark.parametrize(
    "value",
    [
        {"INDEX_PAGE_SIZE": "12"},
        {"INDEX_PAGE_SIZE": -1},
        {"INDEX_PAGE_SIZE": 100},
        {"TOC_MIN_LEVEL": 5, "TOC_MAX_LEVEL": 3},
        {"HANDOUT_FILE_EXTENSIONS": "pdf"},
        {"HANDOUT_FILE_EXTENSIONS": [".pdf"]},
        {"HANDOUT_FILE_EXTENSIONS": ["PDF"]},
        {"HANDOUT_FILE_EXTENSIONS": [""]},
    ],
)
def test_bad_values_are_rejected(value):
    with override_settings(WAGTAIL_PMOLIB=value), pytest.raises(ImproperlyConfigured):
        pmolib_settings.INDEX_PAGE_SIZE


def test_not_a_dict():
    with (
        override_settings(WAGTAIL_PMOLIB=["BASE_TEMPLATE"]),
        pytest.raises(ImproperlyConfigured, match="must be a dict"),
    ):
        pmolib_settings.BASE_TEMPLATE


def test_unknown_attribute():
    with pytest.raises(AttributeError):
        pmolib_settings.NOT_A_SETTING
