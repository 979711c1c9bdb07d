"""Reads of the data-protection app, one module per sub-domain: `requests` (the register),
`matching` (candidates for a request), `export` (the access document and the notice),
`rectification`, `retention` (plan, holds, purge runs) and `audit` (the trail about a person).
The common names are re-exported here.
"""

from .audit import *  # noqa: F403
from .export import *  # noqa: F403
from .matching import *  # noqa: F403
from .rectification import *  # noqa: F403
from .requests import *  # noqa: F403
from .retention import *  # noqa: F403
