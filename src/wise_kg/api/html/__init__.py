"""HTML for people: page view models and the templates of every page.

The site's own static files (scripts, styles, icon) are in ``static/``.
"""
