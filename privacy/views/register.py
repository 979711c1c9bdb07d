"""The audit trail search and the personal-data inventory (DPO)."""

from django.core.paginator import Paginator
from django.views.generic import TemplateView

from privacy import forms, inventory, selectors
from privacy.views.common import DpoRequiredMixin


class AuditSearchView(DpoRequiredMixin, TemplateView):
    """Search the audit trail by person, actor, action and dates; 50 entries a page."""

    template_name = "privacy/audit_search.html"

    def get_context_data(self, **kwargs):
        form = forms.AuditSearchForm(self.request.GET or None)
        search = selectors.AuditSearch()
        if form.is_valid():
            search = selectors.AuditSearch(**form.cleaned_data)
        entries = selectors.audit_entries_search(search=search)
        page = Paginator(entries, 50).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(
            form=form, page_obj=page, entries=page.object_list, query=query.urlencode(), **kwargs
        )


class InventoryView(DpoRequiredMixin, TemplateView):
    template_name = "privacy/inventory.html"

    def get_context_data(self, **kwargs):
        from django.apps import apps

        rows = []
        for label, fields in inventory.INVENTORY.items():
            model = apps.get_model(label)
            for name, info in fields.items():
                rows.append(
                    {
                        "model": model._meta.verbose_name,
                        "label": label,
                        "field": name,
                        "personal": info.personal,
                        "source": inventory.Source(info.source).label,
                        "retention": inventory.retention_text(info.rule),
                        "needed_for": inventory.NEEDED_FOR.get(label, {}).get(name, ""),
                    }
                )
        return super().get_context_data(
            rows=rows,
            not_kept=sorted(inventory.NOT_KEPT.items()),
            row_sources=inventory.row_sources(),
            **kwargs,
        )
