"""Joint and expanded committee meetings, topics, votes, resolutions, action items.

Nothing is modelled yet; the app is installed so later migrations have a home.
"""
