"""URLs of settlements: what each persona gets on a GET (see tests/url_matrix/__init__.py).
The matrix world has no settlement, so one year's pages answer 404 to everyone (the
pages with a settlement are tested in tests/settlements/test_pages.py)."""

# fmt: off
# persona order: anonymous stranger outsider resident company_staff committee_member community_official street_admin
ROWS = {
    'settlements:list':     ('compound', "200 200 200 200 200 200 200 200"),
    'settlements:run':      ('compound', "  L 405 405 405 405 405 405 405"),
    'settlements:detail':   ('settlement', "404 404 404 404 404 404 404 404"),
    'settlements:confirm':  ('settlement', "  L 405 405 405 405 405 405 405"),
    'settlements:correct':  ('settlement', "  L 405 405 405 405 405 405 405"),
    'settlements:file':     ('settlement_file', "404 404 404 404 404 404 404 404"),
    'settlements:policy':   ('none', "  L 404 404 404 404 404 404 200"),
    # API: the list and one year are public reads; confirming is a POST behind a log-in.
    'api:settlement-list':    ('compound', "200 200 200 200 200 200 200 200"),
    'api:settlement-detail':  ('settlement', "404 404 404 404 404 404 404 404"),
    'api:settlement-confirm': ('settlement', "403 405 405 405 405 405 405 405"),
}
