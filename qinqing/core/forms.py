"""Parse the words a form or an environment variable uses for yes and no."""

from __future__ import annotations

TRUE_WORDS = frozenset({"true", "on", "1", "yes"})
FALSE_WORDS = frozenset({"false", "off", "0", "no", ""})


def parse_bool(raw: object) -> bool | None:
    """Return True or False for a yes/no word (or a bool), None for anything else."""
    if isinstance(raw, bool):
        return raw
    if not isinstance(raw, str):
        return None
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def post_bool(value: object) -> bool:
    """Return whether a posted checkbox is ticked: absent or not a yes word means no."""
    return parse_bool(value) is True
