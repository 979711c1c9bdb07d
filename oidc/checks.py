from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def signing_key_check(app_configs, **kwargs):
    """Without a signing key the provider cannot issue an ID token: say so at start-up."""
    if settings.OAUTH2_PROVIDER.get("OIDC_RSA_PRIVATE_KEY"):
        return []
    return [
        Warning(
            "OIDC_RSA_PRIVATE_KEY is not set: the OpenID Connect provider cannot sign ID tokens.",
            hint="Generate an RSA key (README, 'Connecting the ENT and other services').",
            id="oidc.W001",
        )
    ]
