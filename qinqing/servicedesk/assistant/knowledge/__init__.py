"""The knowledge base: every matter guide and bundle guide split into sections, policies, and the FAQ."""

from __future__ import annotations

from qinqing.servicedesk.assistant.knowledge.bundles import bundle_entries
from qinqing.servicedesk.assistant.knowledge.catalog import matter_entries
from qinqing.servicedesk.assistant.knowledge.faq import faq_entries
from qinqing.servicedesk.assistant.knowledge.policies import policy_entries, policy_fingerprint
from qinqing.servicedesk.assistant.types import Entry

__all__ = ["build", "policy_fingerprint", "source_files"]


def build() -> list[Entry]:
    """Return every entry of the knowledge base; keys are unique."""
    entries = [*faq_entries(), *matter_entries(), *bundle_entries(), *policy_entries()]
    seen: set[str] = set()
    for entry in entries:
        if entry.key in seen:
            raise ValueError(f"duplicate knowledge-base key {entry.key}")
        seen.add(entry.key)
    return entries


def source_files() -> list[str]:
    """The data files the knowledge base is built from: a change to any of them rebuilds the index."""
    from qinqing.servicedesk.assistant.knowledge import bundles, catalog, faq

    return [str(path) for path in (*catalog.FILES, *bundles.FILES, *faq.FILES)]
