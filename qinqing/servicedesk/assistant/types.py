"""The assistant's value types: an answer, the citation it rests on, a knowledge-base entry."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Citation:
    """The guide, bundle, policy or FAQ entry an answer used, with a link on this site."""

    kind: str  # "matter" | "bundle" | "policy" | "faq"
    key: str
    title: str
    url: str


@dataclass(frozen=True)
class Answer:
    """What the assistant says, what it cites, how sure it is, and whether a D小二 takes over."""

    text: str
    citations: list[Citation] = field(default_factory=list)
    confidence: float = 0.0
    handover: bool = False


@dataclass(frozen=True)
class Entry:
    """One searchable piece of knowledge: a FAQ, or one section of a matter, bundle or policy guide."""

    key: str  # unique in the knowledge base, e.g. "faq:login-01", "matter:SCJG-002:materials"
    kind: str  # the citation kind
    ref: str  # the cited item's key: FAQ id, matter code, bundle code, policy id
    title: str
    text: str
    url: str
    text_en: str = ""
    title_en: str = ""
    topic: str = ""
    section: str = ""  # the part of a guide: overview, materials, limits, fee, basis, conditions, form …
    # Words searched besides title and text (FAQ paraphrases, section synonyms); title weighs more.
    keywords: tuple[str, ...] = ()
    weight: float = 1.0

    def citation(self) -> Citation:
        return Citation(kind=self.kind, key=self.ref, title=self.title, url=self.url)
