"""URLs of meetings (topics, meetings, resolutions, owners' votes): what each persona gets
on a GET (see tests/url_matrix/__init__.py). ``meeting`` is a joint meeting closed and
published, ``action`` its resolution's action item, ``vote`` an open owners' vote with a
paper ballot, ``counted_vote`` a closed one.

Pages gate on ``access_compound(capability)``: a member of compound A without the
capability gets the 403 page naming who may (issue 16); stranger and outsider 404.
RAISE_TOPIC: every role of the compound but the street office's; CONVENE_MEETING and
RUN_OWNERS_VOTE: the chair, community officials (and the secretary to convene)."""

# fmt: off
# persona order: anonymous stranger outsider resident company_staff committee_member community_official street_admin
ROWS = {
    'meetings:home':                 ('compound', "  L 404 404 200 200 200 200 200"),
    'meetings:topic-new':            ('compound', "  L 404 404 200 200 200 200 403"),
    'meetings:topic-detail':         ('topic', "  L 404 404 200 200 200 200 200"),
    'meetings:topic-second':         ('topic', "  L 405 405 405 405 405 405 405"),
    'meetings:topic-triage':         ('topic', "  L 405 405 405 405 405 405 405"),
    'meetings:photo':                ('topic_photo', "  L 404 404 200 200 200 200 200"),
    'meetings:meeting-new':          ('compound', "  L 404 404 403 403 403 200 403"),
    'meetings:meeting-detail':       ('meeting', "  L 404 404 200 200 200 200 200"),
    'meetings:meeting-ics':          ('meeting', "  L 404 404 200 200 200 200 200"),
    'meetings:meeting-attendance':   ('meeting', "  L 405 405 405 405 405 405 405"),
    'meetings:meeting-cancel':       ('meeting', "  L 405 405 405 405 405 405 405"),
    'meetings:meeting-step':         ('meeting_step', "  L 405 405 405 405 405 405 405"),
    'meetings:agenda-minutes':       ('agenda_item', "  L 405 405 405 405 405 405 405"),
    'meetings:agenda-resolution':    ('agenda_item', "  L 405 405 405 405 405 405 405"),
    'meetings:action-create':        ('resolution', "  L 405 405 405 405 405 405 405"),
    'meetings:action-detail':        ('action', "  L 404 404 200 200 200 200 200"),
    'meetings:action-progress':      ('action', "  L 405 405 405 405 405 405 405"),
    'meetings:action-step':          ('action_step', "  L 405 405 405 405 405 405 405"),
    'meetings:vote-new':             ('compound', "  L 404 404 403 403 403 200 403"),
    'meetings:vote-detail':          ('vote', "  L 404 404 200 200 200 200 200"),
    'meetings:vote-ballot':          ('vote_ballot', "  L 405 405 405 405 405 405 405"),
    'meetings:vote-confirm-paper':   ('paper_ballot', "  L 405 405 405 405 405 405 405"),
    'meetings:vote-close':           ('vote', "  L 405 405 405 405 405 405 405"),
    # public: published minutes, topics' status, counted votes
    'meetings:public':               ('compound', "200 200 200 200 200 200 200 200"),
    'meetings:public-meeting':       ('meeting', "200 200 200 200 200 200 200 200"),
    'meetings:public-topic':         ('topic', "200 200 200 200 200 200 200 200"),
    'meetings:public-vote-result':   ('counted_vote', "200 200 200 200 200 200 200 200"),
    # API: unchanged by issue 16 (a compound you may not see is a 404)
    'api:meetings-topic-list':       ('compound', "403 404 404 200 200 200 200 200"),
    'api:meetings-topic-detail':     ('topic', "403 404 404 200 200 200 200 200"),
    'api:meetings-topic-second':     ('topic', "403 405 405 405 405 405 405 405"),
    'api:meetings-topic-triage':     ('topic', "403 405 405 405 405 405 405 405"),
    'api:meetings-meeting-list':     ('compound', "403 404 404 200 200 200 200 200"),
    'api:meetings-meeting-detail':   ('meeting', "403 404 404 200 200 200 200 200"),
    'api:meetings-meeting-ics':      ('meeting', "403 404 404 200 200 200 200 200"),
    'api:meetings-meeting-attendance': ('meeting', "403 405 405 405 405 405 405 405"),
    'api:meetings-meeting-open':     ('meeting', "403 405 405 405 405 405 405 405"),
    'api:meetings-meeting-cancel':   ('meeting', "403 405 405 405 405 405 405 405"),
    'api:meetings-meeting-close':    ('meeting', "403 405 405 405 405 405 405 405"),
    'api:meetings-minutes-confirm':  ('meeting', "403 405 405 405 405 405 405 405"),
    'api:meetings-agenda-minutes':   ('agenda_item', "403 405 405 405 405 405 405 405"),
    'api:meetings-agenda-resolution': ('agenda_item', "403 405 405 405 405 405 405 405"),
    'api:meetings-resolution-list':  ('compound', "403 404 404 200 200 200 200 200"),
    'api:meetings-resolution-detail': ('resolution', "403 404 404 200 200 200 200 200"),
    'api:meetings-action-create':    ('resolution', "403 405 405 405 405 405 405 405"),
    'api:meetings-action-detail':    ('resolution_action', "403 404 404 200 200 200 200 200"),
    'api:meetings-action-progress':  ('resolution_action', "403 405 405 405 405 405 405 405"),
    'api:meetings-action-claim':     ('resolution_action', "403 405 405 405 405 405 405 405"),
    'api:meetings-action-confirm':   ('resolution_action', "403 405 405 405 405 405 405 405"),
    'api:meetings-vote-list':        ('compound', "403 404 404 200 200 200 200 200"),
    'api:meetings-vote-detail':      ('vote', "403 404 404 200 200 200 200 200"),
    'api:meetings-vote-ballot':      ('vote', "403 405 405 405 405 405 405 405"),
    'api:meetings-vote-paper-confirm': ('paper_ballot', "403 405 405 405 405 405 405 405"),
    'api:meetings-vote-close':       ('vote', "403 405 405 405 405 405 405 405"),
}
# fmt: on
