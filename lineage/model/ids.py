"""Model ids: the one rule for what may name a model, in lineage files and hub dumps alike."""

from __future__ import annotations

import re

# An id that is empty, starts or ends with a space, or holds a control character is refused.
BAD_ID = re.compile(r"^\s|\s$|^$|[\x00-\x1f\x7f]")
