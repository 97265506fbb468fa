"""URLs of portal: what each persona gets on a GET (see tests/url_matrix/__init__.py)."""

# fmt: off
# persona order: anonymous stranger outsider resident company_staff committee_member community_official street_admin
ROWS = {
    'compound-public':  ('compound', "200 200 200 200 200 200 200 200"),
}
# fmt: on
