from django.db import models
from django.utils.translation import gettext_lazy as _


class SearchTerm(models.Model):
    """How often visitors searched the library for one text on one day, and how
    often that search found nothing: the source of the "Popular searches" and
    "Searches with no results" reports.

    The text is normalised (lower case, the words and quoted phrases that were
    looked for), so "PMO  Value" and "pmo value" count together. No visitor is
    recorded.
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

    def __str__(self):
        return f"{self.query_string} ({self.date}: {self.hits})"
