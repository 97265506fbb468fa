"""URLs of assessments (rounds, duty checks, repairs): what each persona gets on a GET
(see tests/url_matrix/__init__.py). ``round`` is a published round (every scorer scored,
signed off), ``repair`` the resident's request for their own unit, with a photo.

Pages gate on ``access_compound(capability)``: a member of compound A without the
capability gets the 403 page naming who may (issue 16); stranger and outsider 404.
Who holds what: communities/permissions.py (SCORE_COMPANY: committee, officials, inspector;
REPORT_ISSUES: owners, committee, stewards; RECORD_DUTY_CHECK: committee, officials;
MANAGE_ASSESSMENT_TEMPLATES: street admin)."""

# fmt: off
# persona order: anonymous stranger outsider resident company_staff committee_member community_official street_admin
ROWS = {
    # public: the score page, the published round's PDF, the repair figures
    'assessments:public':              ('compound', "200 200 200 200 200 200 200 200"),
    'assessments:round-pdf':           ('round', "200 200 200 200 200 200 200 200"),
    'assessments:repair-public':       ('compound', "200 200 200 200 200 200 200 200"),
    # members' area
    'assessments:round-list':          ('compound', "  L 404 404 200 200 200 200 200"),
    'assessments:round-detail':        ('round', "  L 404 404 200 200 200 200 200"),
    # the scorer's sheet: SCORE_COMPANY (committee member and official are the round's scorers)
    'assessments:round-score':         ('round', "  L 404 404 403 403 200 200 403"),
    # the owners' survey: only owners of a unit in the compound (the resident)
    'assessments:round-survey':        ('round', "  L 404 404 200 404 404 404 404"),
    'assessments:round-open':          ('compound', "  L 405 405 405 405 405 405 405"),
    'assessments:round-close':         ('round', "  L 405 405 405 405 405 405 405"),
    'assessments:round-sign':          ('round', "  L 405 405 405 405 405 405 405"),
    'assessments:round-object':        ('round', "  L 405 405 405 405 405 405 405"),
    'assessments:objection-decide':    ('round', "  L 405 405 405 405 405 405 405"),
    'assessments:score-photo':         ('score_photo', "  L 404 404 200 200 200 200 200"),
    'assessments:duty-checks':         ('compound', "  L 404 404 403 403 200 200 403"),
    # the street office's template and weights (no compound: only its admins)
    'assessments:template-edit':       ('none', "  L 404 404 404 404 404 404 200"),
    'assessments:repair-list':         ('compound', "  L 404 404 200 200 200 200 200"),
    'assessments:repair-new':          ('compound', "  L 404 404 200 403 200 403 403"),
    'assessments:repair-detail':       ('repair', "  L 404 404 200 200 200 200 200"),
    'assessments:repair-photo':        ('repair_photo', "  L 404 404 200 200 200 200 200"),
    'assessments:repair-action':       ('repair_action', "  L 405 405 405 405 405 405 405"),
    # API: unchanged by issue 16 (a missing capability to see is a 404)
    'api:assessment-round-list':       ('compound', "403 404 404 200 200 200 200 200"),
    'api:assessment-public':           ('compound', "200 200 200 200 200 200 200 200"),
    'api:assessment-round-detail':     ('round', "403 404 404 200 200 200 200 200"),
    'api:assessment-round-scores':     ('round', "403 405 405 405 405 405 405 405"),
    'api:assessment-round-survey':     ('round', "403 405 405 405 405 405 405 405"),
    'api:assessment-round-close':      ('round', "403 405 405 405 405 405 405 405"),
    'api:assessment-round-signoff':    ('round', "403 405 405 405 405 405 405 405"),
    'api:assessment-round-objection':  ('round', "403 405 405 405 405 405 405 405"),
    'api:assessment-objection-decision': ('round', "403 405 405 405 405 405 405 405"),
    'api:assessment-duty-checks':      ('compound', "403 404 404 404 404 200 200 404"),
    'api:assessment-template-publish': ('none', "403 405 405 405 405 405 405 405"),
    'api:assessment-weights-publish':  ('none', "403 405 405 405 405 405 405 405"),
    'api:repair-list':                 ('compound', "403 404 404 200 200 200 200 200"),
    'api:repair-stats':                ('compound', "200 200 200 200 200 200 200 200"),
    'api:repair-detail':               ('repair', "403 404 404 200 200 200 200 200"),
    'api:repair-action':               ('repair_action', "403 405 405 405 405 405 405 405"),
}
# fmt: on
