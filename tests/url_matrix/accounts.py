"""URLs of accounts: what each persona gets on a GET (see tests/url_matrix/__init__.py)."""

# fmt: off
# persona order: anonymous stranger outsider resident company_staff committee_member community_official street_admin
ROWS = {
    'notification-list':      ('none', "  L 200 200 200 200 200 200 200"),
    'notification-open':      ('notification', "  L 404 404 404 302 404 404 404"),
    'notification-read-all':  ('none', "  L 405 405 405 405 405 405 405"),
    # allauth asks for the password again before an authenticator is set up (a fresh
    # log-in skips that step; the test clients' sessions have no recent log-in)
    'mfa_activate_totp':      ('none', "  L 302 302 302 302 302 302 302"),
}
# fmt: on
