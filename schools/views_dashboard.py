"""The city dashboard: account activation per school and class, trend, removals, imports."""

from django.core.paginator import InvalidPage, Paginator
from django.http import Http404
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from accounts import dashboard
from accounts.mixins import CityStaffRequiredMixin
from imports.guards import held_reason_labels
from imports.selectors import import_state

from . import charts

# Rows of the per-school table and bars of its chart on one page: at académie scale (400
# schools) the whole table made a 309 KB page nobody reads at once. The totals count them all.
SCHOOLS_PER_PAGE = 25


class DashboardView(CityStaffRequiredMixin, TemplateView):
    """City staff only. `?page=N` pages the per-school table and chart; `?ecole=<UAI>` adds the
    per-class table of that school."""

    template_name = "schools/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        figures = dashboard.dashboard_figures(user=user)
        rows = figures.rows
        context.update(
            rows=rows,
            total=figures.total,
            pending_removal=figures.pending_removal,
            city_only_credentials=figures.city_only_credentials,
            computed_at=figures.computed_at,
            **import_state(),
        )
        context["held_reasons"] = self._held_reasons(context["last_run"])
        try:  # the rows are a list already read: paging them costs no query
            page = Paginator(rows, SCHOOLS_PER_PAGE).page(self.request.GET.get("page") or 1)
        except InvalidPage as exc:
            raise Http404 from exc
        context.update(page_obj=page, page_rows=page.object_list)
        context["rate_chart"] = charts.bar_chart_svg(
            [(row.item.name, row.guardians.rate) for row in page.object_list],
            chart_id="chart-rates",
            title=_("Guardian activation rate per school"),
            description=_(
                "One horizontal bar per open school of this page, on a scale from 0 to 100 %. "
                "The table “Activation per school” gives the same figures."
            ),
        )
        context.update(self._trend(figures.trend))
        context.update(self._classes(rows))
        return context

    @staticmethod
    def _held_reasons(run) -> list[tuple[str, str]]:
        if run is None or not run.held_reasons:
            return []
        # The import pages' wording, so a reason reads the same on both pages.
        return held_reason_labels(run.held_reasons)

    def _trend(self, weeks) -> dict:
        trend = [
            (monday, value, value - (weeks[i - 1][1] if i else value))
            for i, (monday, value) in enumerate(weeks)
        ]
        first, last = weeks[0], weeks[-1]
        chart = charts.line_chart_svg(
            [(formats.date_format(monday, "j b"), value) for monday, value in weeks],
            chart_id="chart-trend",
            title=_("Activated accounts, cumulative, week by week"),
            description=_(
                "A line over the last %(weeks)d weeks: %(first)d accounts activated by the end of "
                "the week of %(first_day)s, %(last)d by now. The table below gives every week."
            )
            % {
                "weeks": len(weeks),
                "first": first[1],
                "first_day": formats.date_format(first[0], "SHORT_DATE_FORMAT"),
                "last": last[1],
            },
        )
        return {"trend": trend, "trend_chart": chart}

    def _classes(self, rows) -> dict:
        uai = self.request.GET.get("ecole", "").strip()
        if not uai:
            return {"selected": None, "class_rows": []}
        # The school comes from the rows already read: open, in scope, and no extra query.
        selected = next((row.item for row in rows if row.item.uai == uai), None)
        if selected is None:
            raise Http404
        return {
            "selected": selected,
            "class_rows": dashboard.class_activation_rows(user=self.request.user, school=selected),
        }
