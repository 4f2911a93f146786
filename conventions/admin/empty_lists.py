"""What an empty conventions list says when the year chosen in its filter has none yet."""

from conventions.models import SchoolYear
from conventions.renewal import next_label

YEAR_PARAM = "school_year__id__exact"


class EmptyYearHelpMixin:
    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        cl = getattr(response, "context_data", {}).get("cl")
        if cl is None or cl.result_count or YEAR_PARAM not in request.GET:
            return response
        year = SchoolYear.objects.filter(pk=request.GET[YEAR_PARAM]).first()
        if year is not None:
            # Next year's drafts are made from the year before's page ("Préparer la
            # campagne …"); that year, when there is one, is where the help leads.
            previous = next(
                (y for y in SchoolYear.objects.all() if next_label(y) == year.label), None
            )
            response.context_data.update(empty_year=year, previous_year=previous)
        return response
