"""A bare Django 5.2 + django-ninja project: the floor a plain Django deployment sets (issue 10's benchmark)."""
