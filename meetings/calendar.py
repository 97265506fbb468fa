"""A meeting as an iCalendar file (RFC 5545), written by hand: one VEVENT, UTC times,
escaped text and lines folded at 75 octets — small enough not to need a library."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone


def _text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Fold at 75 octets without splitting a UTF-8 character."""
    out, current = [], b""
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode("utf-8"))
            current = b""
        current += encoded
    out.append(current.decode("utf-8"))
    return "\r\n ".join(out)


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def meeting_ics(meeting, request=None) -> str:
    url = settings.SITE_URL + reverse(
        "meetings:meeting-detail", kwargs={"slug": meeting.compound.slug, "pk": meeting.pk}
    )
    agenda = "\n".join(f"{item.position}. {item.title}" for item in meeting.agenda.all())
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Gongguan//Meetings//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{meeting.uid}@gongguan",
        f"DTSTAMP:{_utc(timezone.now())}",
        f"DTSTART:{_utc(meeting.starts_at)}",
        f"DTEND:{_utc(meeting.starts_at + dt.timedelta(minutes=meeting.duration_minutes))}",
        f"SUMMARY:{_text(f'{meeting.compound.name} · {meeting.title}')}",
        f"LOCATION:{_text(meeting.location)}",
        f"DESCRIPTION:{_text(agenda)}",
        f"URL:{url}",
        f"STATUS:{'CANCELLED' if meeting.status == 'cancelled' else 'CONFIRMED'}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
