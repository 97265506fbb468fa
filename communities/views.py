"""Pages. Thin: access checks through permissions, data through selectors."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from communities import selectors
from communities.permissions import access_compound


def home(request):
    if not request.user.is_authenticated:
        return render(request, "communities/landing.html", {"compounds": selectors.public_compounds()})
    return render(request, "communities/home.html", {"mine": selectors.my_compounds(request.user)})


def compound_public(request, slug):
    compound = selectors.public_compound(slug)
    if compound is None:
        raise Http404
    duty_list = selectors.current_duty_list(compound)
    return render(
        request,
        "communities/compound_public.html",
        {
            "compound": compound,
            "contract": selectors.active_contract(compound),
            "committee": selectors.committee_seats(compound),
            "duty_list": duty_list,
            "duty_groups": selectors.duties_by_party(duty_list),
            "steward_count": selectors.steward_count(compound),
        },
    )


@login_required
def compound_members_page(request, slug):
    compound, standing = access_compound(request.user, slug)
    return render(request, "communities/compound_members.html", {"compound": compound, "standing": standing})
