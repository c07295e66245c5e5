from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SearchTerm(models.Model):
    """How often visitors searched the library for one text on one day, and how
    often that search found nothing: the source of the "Popular searches" and
    "Searches with no results" reports.

    The text is normalised (lower case, the words and quoted phrases that were
    looked for), so "PMO  Value" and "pmo value" count together. No visitor is
    recorded here (see ``SearchVisitor``).
    """

    query_string = models.CharField(_("search"), max_length=255)
    date = models.DateField(_("date"))
    hits = models.PositiveIntegerField(_("searches"), default=0)
    no_result_hits = models.PositiveIntegerField(_("searches with no results"), default=0)

    class Meta:
        verbose_name = _("library search")
        verbose_name_plural = _("library searches")
        constraints = [
            models.UniqueConstraint(
                fields=["query_string", "date"], name="pmolib_one_search_term_a_day"
            )
        ]
        indexes = [models.Index(fields=["date"], name="pmolib_search_term_date")]
        permissions = [
            ("hide_searchterm", _("Can hide a search from the popular searches visitors see"))
        ]

    def __str__(self):
        return f"{self.query_string} ({self.date}: {self.hits})"


class SearchVisitor(models.Model):
    """One visitor who searched for a text on a day and was shown sessions that
    anyone may see: what the popular searches offered to visitors are counted
    from (``search/log.py``: a text is offered once enough distinct visitors
    have). Searches that found nothing, or found sessions only some visitors may
    see, leave no row.

    ``visitor`` is a keyed hash (``feedback.identity.keyed_hash``) of the
    visitor's account or network address, never the address itself.
    """

    query_string = models.CharField(_("search"), max_length=255)
    date = models.DateField(_("date"))
    visitor = models.CharField(_("visitor"), max_length=64)

    class Meta:
        verbose_name = _("library search visitor")
        verbose_name_plural = _("library search visitors")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["query_string", "date", "visitor"], name="pmolib_one_search_visitor_a_day"
            )
        ]
        indexes = [models.Index(fields=["date"], name="pmolib_search_visitor_date")]

    def __str__(self):
        return f"{self.query_string} ({self.date})"


class HiddenSearchTerm(models.Model):
    """A search text editors have hidden from the popular searches visitors see
    (the admin's "Popular searches" report still lists it)."""

    query_string = models.CharField(_("search"), max_length=255, unique=True)
    hidden_at = models.DateTimeField(_("hidden at"), auto_now_add=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("hidden by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("hidden library search")
        verbose_name_plural = _("hidden library searches")
        default_permissions = ()

    def __str__(self):
        return self.query_string
