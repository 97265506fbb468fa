"""A WSGI application for ``bench_requests``: the project's settings and middleware, and
one bare view that answers with one indexed query. gunicorn serves it
(``gunicorn bench.wsgi_bare:application``) with CONN_MAX_AGE as the environment says."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django
from django.conf import settings

django.setup()
settings.ROOT_URLCONF = __name__
settings.ALLOWED_HOSTS = ["*"]

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402


def bare(request, slug):
    from communities.models import Compound

    name = Compound.objects.filter(slug=slug).values_list("name", flat=True).get()
    return HttpResponse(name, content_type="text/plain; charset=utf-8")


urlpatterns = [path("bare/<slug:slug>/", bare)]
application = get_wsgi_application()
