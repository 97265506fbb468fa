"""Transparency services: quarterly disclosures (figures, build, publication, reopening)."""

from escrow.transparency.services.disclosures import *  # noqa: F403
