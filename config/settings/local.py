"""Developer machine and `make run`: SQLite and in-process tasks unless configured.

`make dev` runs with DEBUG on (Django's debug pages). `make run`, the demo, sets DEBUG=false
and DEMO_MODE=true: whoever tries the demo sees the site's own error pages, never a debug
page listing every URL; static files then come from WhiteNoise, straight from the source
directories (no collectstatic needed).
"""

import os

os.environ.setdefault("DEBUG", "true")

from .base import *  # noqa: F403
from .base import SECRET_KEY as _SECRET_KEY

# A fixed key is fine only on a developer's machine or the local demo; production.py
# requires one.
SECRET_KEY = _SECRET_KEY or "local-development-only-not-secret"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# The demo on plain http (a LAN address, not only localhost): accept WebAuthn's origin.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
