from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Tests, the demo and benchmarks only: installed by the dev and test settings, never by
    production (the image leaves the folder out, see .dockerignore)."""

    name = "devtools"
