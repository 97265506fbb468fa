"""Developer machine and `make run`: DEBUG on, SQLite and in-process tasks unless configured."""

import os

os.environ.setdefault("DEBUG", "true")

from .base import *  # noqa: F403
from .base import SECRET_KEY as _SECRET_KEY

# A fixed key is fine only because DEBUG is on; production.py requires one.
SECRET_KEY = _SECRET_KEY or "local-development-only-not-secret"
