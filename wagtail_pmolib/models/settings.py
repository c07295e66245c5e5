"""Editor-facing feedback texts and rules, per site (Wagtail site settings)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

DEFAULT_TEXTS = {
    "question": _("Was this article helpful?"),
    "share_heading": _("Please Share Your Feedback"),
    "comment_label": _("How Can We Improve This Article?"),
    "thank_you": _("Thank you for your feedback!"),
}


class CommentForm(models.TextChoices):
    ALWAYS = "always", _("Always")
    AFTER_VOTE = "after_vote", _("After a vote")
    LOW_RATING = "low_rating", _("Only after a rating below the threshold")


@register_setting(icon="comment")  # the Feedback menu item's icon: both are about feedback
class FeedbackSettings(BaseSiteSetting):
    enabled = models.BooleanField(
        _("feedback on this site"),
        default=True,
        help_text=_("Turn off to hide the feedback section and refuse new feedback site-wide."),
    )
    question = models.CharField(
        _("question"), max_length=255, blank=True, help_text=_("Blank: “Was this article helpful?”")
    )
    share_heading = models.CharField(
        _("feedback heading"),
        max_length=255,
        blank=True,
        help_text=_("Blank: “Please Share Your Feedback”"),
    )
    comment_label = models.CharField(
        _("comment label"),
        max_length=255,
        blank=True,
        help_text=_("Blank: “How Can We Improve This Article?”"),
    )
    thank_you = models.CharField(
        _("thank-you message"),
        max_length=255,
        blank=True,
        help_text=_("Blank: “Thank you for your feedback!”"),
    )
    comment_form = models.CharField(
        _("show the comment form"),
        max_length=20,
        choices=CommentForm.choices,
        default=CommentForm.LOW_RATING,
    )
    low_rating_below = models.PositiveSmallIntegerField(
        _("low rating: below"),
        default=4,
        validators=[MinValueValidator(2), MaxValueValidator(6)],
        help_text=_("A rating below this many stars counts as low (4: one to three stars)."),
    )
    comment_required_after_low_rating = models.BooleanField(
        _("require a comment with a low rating"), default=False
    )
    min_ratings_for_distribution = models.PositiveIntegerField(
        _("ratings before the distribution shows"),
        default=0,
        help_text=_("Hide the per-star table until a page has this many ratings."),
    )

    panels = [
        FieldPanel("enabled"),
        MultiFieldPanel(
            [
                FieldPanel("question"),
                FieldPanel("share_heading"),
                FieldPanel("comment_label"),
                FieldPanel("thank_you"),
            ],
            heading=_("Texts"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("comment_form"),
                FieldPanel("low_rating_below"),
                FieldPanel("comment_required_after_low_rating"),
                FieldPanel("min_ratings_for_distribution"),
            ],
            heading=_("Rules"),
        ),
    ]

    class Meta:
        verbose_name = _("session feedback")

    @cached_property
    def fingerprint(self) -> str:
        """Changes whenever a setting does (for caching what shows them)."""
        import hashlib

        values = [str(getattr(self, f.attname)) for f in self._meta.concrete_fields]
        return hashlib.sha256("\x1f".join(values).encode()).hexdigest()[:16]

    def text(self, name):
        return getattr(self, name) or str(DEFAULT_TEXTS[name])

    def is_low(self, rating):
        return rating is not None and rating < self.low_rating_below

    def comment_wanted(self, rating=None, voted=False, low=False):
        """Whether the comment form shows: once the visitor has chosen ``rating``
        (before sending it, so a low rating can be explained at once), after the
        vote (``voted``), or when all a page knows after the vote's redirect is
        whether it was ``low``. The one rule: the page, the endpoint's JSON and
        the script (``comment_ratings``) follow it."""
        if self.comment_form == CommentForm.ALWAYS:
            return True
        if self.comment_form == CommentForm.AFTER_VOTE:
            return voted
        return low or self.is_low(rating)

    def comment_ratings(self) -> list[int]:
        """The ratings whose choice shows the comment form before anything is
        sent: what the page's script is told (``data-comment-ratings``)."""
        return [n for n in range(1, 6) if self.comment_wanted(rating=n)]

    def comment_needs_vote(self):
        return self.comment_form != CommentForm.ALWAYS
