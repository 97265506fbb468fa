"""The permission registry: for every named URL of the URLconf, what each persona gets
on a GET. tests/test_every_url.py walks the URLconf and fails on any view that has no
row here, so a new page or endpoint cannot ship without its line in the matrix.

One module per app (``communities.py``, ``escrow.py`` …); a new app adds its own module
with a ``ROWS`` dict. A row is ``name: (objects, answers)``:

* ``objects`` names the objects whose ids fill the URL (see ``_kwargs`` in
  tests/test_every_url.py): ``compound`` (compound A's slug), ``payout`` (a paid
  request), ``disclosure`` (a published one), ``payment`` (an id that does not exist:
  only the gate in front of the lookup answers), ``round`` (a published assessment
  round), ``repair`` (the resident's request, with a photo), ``meeting`` (a published
  joint meeting), ``vote`` (an open owners' vote with a paper ballot) …
* ``answers`` lists, in ``PERSONAS`` order, the status code of a GET or ``L`` (a
  redirect to the log-in page). 302 elsewhere is a page that sends the person back
  (e.g. to a request that is not theirs to edit); 405 a URL that only takes a POST.

The rule (issue 16): a page that a member of compound A may not use with their roles
answers 403 naming the roles that may; no standing in A (stranger, outsider) or no such
compound answers 404, exactly like a missing page; the API keeps its 404. Write the
answer the rule asks for, not what the view returns: where a view disagrees, list the
cell in ``KNOWN_BUGS`` in tests/test_every_url.py with what it answers today and why.
"""

from __future__ import annotations

import importlib
import pkgutil

PERSONAS = [
    "anonymous",
    "stranger",
    "outsider",
    "resident",
    "company_staff",
    "committee_member",
    "community_official",
    "street_admin",
]


def rows() -> dict[str, tuple[str, list]]:
    """Every app's rows, parsed: name → (objects, {persona: answer})."""
    out: dict[str, tuple[str, dict]] = {}
    for module in pkgutil.iter_modules(__path__):
        for name, (objects, answers) in importlib.import_module(f"{__name__}.{module.name}").ROWS.items():
            codes = [a if a == "L" else int(a) for a in answers.split()]
            assert len(codes) == len(PERSONAS), f"{name}: {len(codes)} answers for {len(PERSONAS)} personas"
            assert name not in out, f"{name} is listed twice"
            out[name] = (objects, dict(zip(PERSONAS, codes, strict=True)))
    return out
