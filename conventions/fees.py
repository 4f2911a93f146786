from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from communes.french import pluralize
from conventions.templatetags.money import euros

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Fee:
    """The one place where a convention's amount is computed."""

    school_count: int
    rate: Decimal

    @property
    def amount(self):
        return (Decimal(self.rate) * self.school_count).quantize(CENT, rounding=ROUND_HALF_UP)

    def __str__(self):
        return (
            f"{self.school_count} école{pluralize(self.school_count)} × {euros(self.rate)} "
            f"= {euros(self.amount)}"
        )
