"""Shared code with no models: settings parsing, money, errors, request context."""
