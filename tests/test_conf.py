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
        # A string would be true: trusting a forgeable header by mistake.
        {"TRUST_X_FORWARDED_FOR": "False"},
        {"TRUSTED_PROXY_HOPS": 0},
        {"TRUSTED_PROXY_HOPS": "1"},
        {"ADDRESS_RATE_LIMIT": -1},
        {"ADDRESS_VOTES_PER_PAGE": 2.5},
        {"ADDRESS_VOTES_PERIOD": 0},
        {"HANDOUT_FILE_EXTENSIONS": "pdf"},
        {"HANDOUT_FILE_EXTENSIONS": [".pdf"]},
        {"HANDOUT_FILE_EXTENSIONS": ["PDF"]},
        {"HANDOUT_FILE_EXTENSIONS": [""]},
        {"API_CACHE_MAX_AGE": -1},
        {"API_RENDITIONS": ["fill-10x10"]},
        {"API_RENDITIONS": {"avatar": ["fill-10x10"]}},
        {"API_RENDITIONS": {"photo": "fill-10x10"}},
        {"API_RENDITIONS": {"photo": ["fill-10x10", "fill-10x10"]}},
        {"API_RENDITIONS": {"photo": ["resize-10x10"]}},
        {"API_RENDITIONS": {"photo": ["fill-tenxten"]}},
    ],
)
def test_bad_values_are_rejected(value):
    with override_settings(WAGTAIL_PMOLIB=value), pytest.raises(ImproperlyConfigured):
        pmolib_settings.INDEX_PAGE_SIZE


def test_address_limits_have_documented_defaults_and_can_be_turned_off():
    assert pmolib_settings.ADDRESS_RATE_LIMIT == 60
    assert pmolib_settings.ADDRESS_VOTES_PER_PAGE == 20
    assert pmolib_settings.ADDRESS_VOTES_PERIOD == 24 * 3600
    assert pmolib_settings.TRUSTED_PROXY_HOPS == 1
    with override_settings(WAGTAIL_PMOLIB={"ADDRESS_RATE_LIMIT": 0, "ADDRESS_VOTES_PER_PAGE": 0}):
        assert pmolib_settings.ADDRESS_RATE_LIMIT == pmolib_settings.ADDRESS_VOTES_PER_PAGE == 0


def test_not_a_dict():
    with (
        override_settings(WAGTAIL_PMOLIB=["BASE_TEMPLATE"]),
        pytest.raises(ImproperlyConfigured, match="must be a dict"),
    ):
        pmolib_settings.BASE_TEMPLATE


def test_unknown_attribute():
    with pytest.raises(AttributeError):
        pmolib_settings.NOT_A_SETTING


def test_api_renditions_keep_the_defaults_of_kinds_not_given():
    with override_settings(WAGTAIL_PMOLIB={"API_RENDITIONS": {"photo": [], "cover": ["width-80"]}}):
        renditions = pmolib_settings.API_RENDITIONS
    assert renditions["photo"] == ()
    assert renditions["cover"] == ("width-80",)
    assert renditions["figure"] == DEFAULTS["API_RENDITIONS"]["figure"]


def test_a_filter_spec_wagtail_cannot_read_is_a_system_check_error():
    from wagtail_pmolib.checks import check_settings

    with override_settings(WAGTAIL_PMOLIB={"API_RENDITIONS": {"poster": ["fill-16x9x"]}}):
        [error] = check_settings(None)
    assert error.id == "wagtail_pmolib.E001"
    assert "fill-16x9x" in error.msg
