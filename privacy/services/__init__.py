"""Writes of the data-protection app, one module per sub-domain: `requests` (filing, handling,
reminders), `verification` (subjects and the requester's identity), `export` (the access copy's
delivery), `rectification`, `retention` (holds and purges), `anonymise` (erasure primitives) and
`termination` (the convention's end). The common names are re-exported here.
"""

from .export import *  # noqa: F403
from .rectification import *  # noqa: F403
from .requests import *  # noqa: F403
from .retention import *  # noqa: F403
from .verification import *  # noqa: F403
