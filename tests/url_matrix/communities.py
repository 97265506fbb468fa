"""URLs of communities: what each persona gets on a GET (see tests/url_matrix/__init__.py)."""

# fmt: off
# persona order: anonymous stranger outsider resident company_staff committee_member community_official street_admin
ROWS = {
    'home':                          ('none', "200 200 200 200 200 200 200 200"),
    'compound-members':              ('compound', "  L 404 404 200 200 200 200 200"),
    'compound-duties-edit':          ('compound', "  L 404 404 403 403 403 200 200"),
    # the roster of units from a spreadsheet: MANAGE_UNITS (company manager, community official, street admin)
    'compound-units-import':          ('compound', "  L 404 404 403 403 403 200 200"),
    'compound-units-import-template': ('compound', "  L 404 404 403 403 403 200 200"),
    'api:compound-list':             ('none', "200 200 200 200 200 200 200 200"),
    'api:compound-detail':           ('compound', "200 200 200 200 200 200 200 200"),
    'api:compound-me':               ('compound', "403 200 200 200 200 200 200 200"),
    'api:building-list':             ('compound', "403 404 404 200 200 200 200 200"),
    'api:building-detail':           ('building', "403 404 404 200 200 200 200 200"),
    'api:unit-list':                 ('compound', "403 404 404 404 200 200 200 200"),
    'api:unit-detail':               ('unit', "403 404 404 404 200 200 200 200"),
    'api:duty-list':                 ('compound', "200 200 200 200 200 200 200 200"),
    'api:duty-list-version-list':    ('compound', "200 200 200 200 200 200 200 200"),
    'api:duty-list-version-detail':  ('duty_version', "200 200 200 200 200 200 200 200"),
    'api:membership-list':           ('compound', "403 404 404 404 404 404 404 200"),
    'api:membership-detail':         ('membership', "403 404 404 404 404 404 404 200"),
    'api:membership-end':            ('membership', "403 405 405 405 405 405 405 405"),
    # granting a signing role: only the street office's admins (MANAGE_MEMBERSHIPS)
    'api:role-grant-list':           ('compound', "403 404 404 404 404 404 404 200"),
    'api:role-grant-confirm':        ('role_grant', "403 405 405 405 405 405 405 405"),
    'api:role-grant-cancel':         ('role_grant', "403 405 405 405 405 405 405 405"),
}
# fmt: on
