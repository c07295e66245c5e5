"""The arithmetic of rating summaries: averages, percentages, and the one Bayesian
average that ranks pages by their ratings."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..conf import pmolib_settings

STARS = (5, 4, 3, 2, 1)


def percentages(counts: dict[int, int]) -> dict[int, int]:
    """Whole percentages per star that add up to exactly 100 (largest remainder).

    All zeros when there are no ratings.
    """
    total = sum(counts.values())
    if not total:
        return dict.fromkeys(STARS, 0)
    exact = {star: counts.get(star, 0) * 100 / total for star in STARS}
    floors = {star: int(value) for star, value in exact.items()}
    missing = 100 - sum(floors.values())
    # Hand the missing points to the largest remainders; ties go to more stars.
    for star in sorted(STARS, key=lambda s: (-(exact[s] - floors[s]), -s))[:missing]:
        floors[star] += 1
    return floors


# --- Ranking pages by their ratings: the one rule -----------------------------------
#
# The library's "Top rated" sort (in SQL) and the "Session ratings" report (in
# Python) rank pages the same way:
#
# - a page's figures are the ``count`` and ``total`` of its *counted* votes: a
#   rating, not spam, in the page's current rating period (``votes.COUNTED_VOTE``;
#   ``RatingSummary`` holds exactly these). "Reset ratings" starts a new period,
#   so old votes stop counting in both, as they stop counting in the stars a
#   visitor sees;
# - the prior is the mean of the counted votes of all the pages ranked together
#   (``rating_prior``): the library's sessions for its sort, the report's pages
#   for the report;
# - the prior weighs ``BAYESIAN_PRIOR_WEIGHT`` votes.


def rating_prior(count: int, total: int) -> float:
    """The mean that pages with few votes are pulled towards: ``total / count`` of
    the counted votes of all the pages ranked together (0 when there are none)."""
    return total / count if count else 0.0


def bayesian_average(
    count: int, total: int, prior_mean: float, weight: int | None = None
) -> float | None:
    """(weight × prior_mean + total) / (weight + count): ranks a page with few
    ratings near the library's mean rather than at the extremes. ``weight``:
    ``BAYESIAN_PRIOR_WEIGHT`` unless given."""
    weight = _weight(weight)
    if count + weight == 0:
        return None
    return (weight * prior_mean + total) / (weight + count)


def bayesian_average_sql(count, total, prior_mean: float, weight: int | None = None):
    """``bayesian_average`` as a database expression over the ``count`` and ``total``
    expressions (for sorting in the database); NULL where the Python one is None."""
    from django.db.models import FloatField, Value
    from django.db.models.functions import Cast, NullIf

    weight = _weight(weight)
    numerator = Value(float(weight * prior_mean)) + Cast(total, FloatField())
    return numerator / NullIf(Cast(count, FloatField()) + Value(float(weight)), Value(0.0))


def _weight(weight: int | None) -> int:
    return pmolib_settings.BAYESIAN_PRIOR_WEIGHT if weight is None else weight


@dataclass
class Summary:
    count: int = 0
    total: int = 0
    stars: dict[int, int] = field(default_factory=lambda: dict.fromkeys(STARS, 0))

    @property
    def cache_token(self) -> str:
        """Changes whenever the figures do (for caching what shows them)."""
        return "-".join(str(v) for v in (self.count, self.total, *self.stars.values()))

    @property
    def average(self) -> float | None:
        return self.total / self.count if self.count else None

    @property
    def average_display(self) -> str:
        """ "4.3" (one decimal, localised), "0" without ratings, as the seed shows it."""
        if not self.count:
            return number_format(0)
        # Half up, as people round (4.25 → 4.3), computed exactly from the integers.
        average = (Decimal(self.total) / Decimal(self.count)).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )
        return number_format(average, 1)

    @property
    def headline(self) -> str:
        return _("%(average)s out of 5 stars") % {"average": self.average_display}

    @property
    def count_display(self) -> str:
        return ngettext("%(count)s rating", "%(count)s ratings", self.count) % {"count": self.count}

    @property
    def rows(self) -> list[dict]:
        """Five rows, 5 stars first: stars, label, count, percent."""
        percents = percentages(self.stars)
        return [
            {
                "stars": star,
                "label": ngettext("%(n)s Star", "%(n)s Stars", star) % {"n": star},
                "count": self.stars.get(star, 0),
                "percent": percents[star],
            }
            for star in STARS
        ]

    def as_dict(self) -> dict:
        return {
            "count": self.count,
            "average": round(self.average, 2) if self.count else None,
            "average_display": self.average_display,
            "headline": self.headline,
            "count_display": self.count_display,
            "distribution": [
                {"stars": row["stars"], "count": row["count"], "percent": row["percent"]}
                for row in self.rows
            ],
        }

    @classmethod
    def from_model(cls, summary) -> Summary:
        if summary is None:
            return cls()
        return cls(count=summary.count, total=summary.total, stars=summary.star_counts())
