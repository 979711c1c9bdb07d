from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class SchoolsConfig(AppConfig):
    name = "schools"
    verbose_name = _("Schools and directory")

    def ready(self) -> None:
        from schools import search

        # SQLite (the demo) computes the person search key in Python; PostgreSQL in SQL.
        connection_created.connect(search.register_sqlite_function, dispatch_uid="search_key")
