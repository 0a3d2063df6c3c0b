"""Policies join the knowledge base when the policies app is there (simulated: it is built on another branch)."""

from types import SimpleNamespace

from django.urls import reverse

from qinqing.servicedesk.assistant import knowledge, ranking
from qinqing.servicedesk.assistant.knowledge import policies

POLICY = SimpleNamespace(pk=7, code="P-2026-007", title="滨江区高新技术企业认定奖励",
                         summary="首次认定为国家高新技术企业的，给予一次性奖励<b>20万元</b>，免申即享，直接拨付到企业账户。")
UNPUBLISHED_PAGE = SimpleNamespace(pk=8, code="P-2026-008", title="没有页面的政策", summary="不应出现在知识库中")


class Manager:
    def all(self):
        return [POLICY, UNPUBLISHED_PAGE]


def fake_url(policy, key):
    return reverse("web:help") if policy is POLICY else ""


def test_published_policies_with_a_page_become_cited_entries(monkeypatch):
    monkeypatch.setattr(policies, "_model", lambda: SimpleNamespace(objects=Manager()))
    monkeypatch.setattr(policies, "_url", fake_url)
    entries = policies.policy_entries()
    assert [e.key for e in entries] == ["policy:P-2026-007"]
    assert "<b>" not in entries[0].text and "20万元" in entries[0].text
    index = ranking.Index(knowledge.build())
    hits = index.rank("高新技术企业认定有什么奖励").hits
    assert hits[0].entry.kind == "policy" and hits[0].entry.citation().key == "P-2026-007"
    assert index.rank("奖励怎么拨付", context={"policy": "P-2026-007"}).hits[0].entry.key == "policy:P-2026-007"


def test_an_unreadable_policies_table_means_no_policies(monkeypatch):
    class Broken:
        def all(self):
            raise RuntimeError("database access not allowed")

    monkeypatch.setattr(policies, "_model", lambda: SimpleNamespace(objects=Broken()))
    assert policies.policy_entries() == []
