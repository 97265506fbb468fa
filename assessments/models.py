"""Quantitative service assessment (物业服务量化考核): templates, rounds, scores, surveys.

Nothing is modelled yet; the app is installed so later migrations have a home.
"""
