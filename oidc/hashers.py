"""How client secrets are stored: hashed, but not stretched.

A client secret is 128 random characters from a 62-letter alphabet (about 760 bits): no
dictionary or brute force reaches it, so the password hasher's hundreds of thousands of
PBKDF2 rounds would add nothing but half a second of CPU to every call of the token endpoint
(which checks the secret each time). One salted round of PBKDF2-SHA256 keeps it unreadable in
the database and the endpoint fast. People's passwords keep the default, stretched hasher.
"""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class ClientSecretHasher(PBKDF2PasswordHasher):
    algorithm = "pbkdf2_sha256_client_secret"
    iterations = 1
