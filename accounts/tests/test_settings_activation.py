"""Production refuses to start without the key that encrypts activation codes."""

from entaix.tests.settings.test_production import run


def test_production_requires_activation_code_keys():
    result = run(["check"], {"ACTIVATION_CODE_KEYS": None})
    assert result.returncode == 1
    assert "The environment variable ACTIVATION_CODE_KEYS is required and is not set." in (
        result.stderr
    )


def test_production_refuses_a_malformed_activation_code_key():
    result = run(["check"], {"ACTIVATION_CODE_KEYS": "not-a-fernet-key"})
    assert result.returncode == 1
    assert "ACTIVATION_CODE_KEYS must list Fernet keys" in result.stderr
