"""URLs of the street dashboard: what each persona gets on a GET (see tests/url_matrix/__init__.py).
Only the office's street admin (and inspector, not a persona here) reaches it; everybody
else gets 404, exactly like a missing office."""

# fmt: off
# persona order: anonymous stranger outsider resident company_staff committee_member community_official street_admin
ROWS = {
    'street:dashboard':        ('street', "  L 404 404 404 404 404 404 200"),
    'street:charts':           ('street', "  L 404 404 404 404 404 404 200"),
    'street:flags':            ('street', "  L 404 404 404 404 404 404 200"),
    'street:flag-decide':      ('street_flag', "  L 405 405 405 405 405 405 405"),
    'street:refresh':          ('street', "  L 405 405 405 405 405 405 405"),
    'street:export':           ('street_export', "  L 404 404 404 404 404 404 200"),
    'api:street-dashboard':    ('street', "403 404 404 404 404 404 404 200"),
    'api:street-flags':        ('street', "403 404 404 404 404 404 404 200"),
    'api:street-flag-decide':  ('street_flag', "403 405 405 405 405 405 405 405"),
}
# fmt: on
