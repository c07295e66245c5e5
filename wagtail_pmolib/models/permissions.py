"""Who may see and change feedback in the admin (the page panel, the report, the
listing, "Reset ratings").

Through Wagtail's permission policy for ``Feedback``, so a host site that
registers its own policy is obeyed everywhere.
"""

from __future__ import annotations

from wagtail.permissions import policy_registry

from .feedback import Feedback


def feedback_policy():
    return policy_registry.get_by_type(Feedback)


def can_view_feedback(user) -> bool:
    """``wagtail_pmolib.view_feedback``: the report, the page panel, the report menu item."""
    return bool(user and user.is_authenticated) and feedback_policy().user_has_permission(
        user, "view"
    )


def can_reset_ratings(user) -> bool:
    """``wagtail_pmolib.change_feedback``: "Reset ratings" (a change to every vote's weight)."""
    return bool(user and user.is_authenticated) and feedback_policy().user_has_permission(
        user, "change"
    )
