"""Settings: base.py reads the environment; local, production and test adjust defaults."""
