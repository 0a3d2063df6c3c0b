"""The knowledge base and its ranking: size, held-out accuracy against the keyword baseline, context, rebuilds."""

import json

import pytest

from qinqing.servicedesk.assistant import knowledge, ranking
from qinqing.servicedesk.assistant.evaluation import HELDOUT, KeywordBaseline, accuracy, heldout
from qinqing.servicedesk.assistant.knowledge.faq import faq_rows

# Three paraphrases in four answered right first time: below that, handing over to a D小二 at once
# would serve an enterprise better than guessing. Measured 80 % on 176 questions (bench/bench_assistant.py);
# the margin absorbs entries added to the knowledge base later without retuning.
HELD_OUT_TOP1_AT_LEAST = 0.75


@pytest.fixture(scope="module")
def index():
    return ranking.index()


def top_key(index, text, context=None):
    hits = index.rank(text, context=context).hits
    return hits[0].entry.key if hits else None


def test_knowledge_base_holds_every_guide_section_and_at_least_300_faq(index):
    kinds = {}
    for entry in index.entries:
        kinds[entry.kind] = kinds.get(entry.kind, 0) + 1
    assert len(index.entries) >= 2000
    assert kinds["faq"] >= 300
    assert {"matter:SCJG-002:materials", "matter:RSJ-006:conditions", "bundle:industrial-project:saving"} <= set(
        index.by_key)
    # The historical matter (abolished in 2022) is not offered as an answer.
    assert not any(e.ref == "SWU-001" for e in index.entries)


def test_faq_entries_are_complete_and_unique():
    rows = faq_rows()
    assert len({r["id"] for r in rows}) == len(rows)
    for row in rows:
        assert row["question"] and len(row["answer"]) >= 20 and row["topic"] and row["source"]


def test_held_out_questions_are_not_copied_from_the_faq_and_expect_real_entries(index):
    written = {r["question"] for r in faq_rows()} | {a for r in faq_rows() for a in r["aliases"]}
    questions = heldout()
    assert len(questions) >= 150
    for q in questions:
        assert q.text not in written
        assert q.expected in index.by_key and all(k in index.by_key for k in q.also)


def test_top1_accuracy_on_held_out_questions_reaches_the_threshold_and_beats_keyword_matching(index):
    questions = heldout()
    ours = accuracy(questions, lambda text: top_key(index, text))
    baseline = accuracy(questions, KeywordBaseline(index.entries).top)
    assert ours >= HELD_OUT_TOP1_AT_LEAST
    assert ours > baseline


def test_off_topic_questions_score_low_confidence(index):
    strays = json.loads(HELDOUT.read_text(encoding="utf-8"))["off_topic"]
    confident = [s for s in strays if index.rank(s).confidence >= 0.35]
    assert len(confident) <= len(strays) // 10


def test_a_question_asked_on_a_matter_page_prefers_that_matter(index):
    assert top_key(index, "需要准备哪些材料", {"matter": "SCJG-013"}) == "matter:SCJG-013:materials"
    assert top_key(index, "要多久", {"matter": "WJW-001"}) == "matter:WJW-001:limits"
    assert top_key(index, "能少填多少", {"bundle": "licence-pharmacy"}) == "bundle:licence-pharmacy:saving"


def test_context_with_unknown_or_hostile_values_changes_nothing(index):
    plain = top_key(index, "忘记密码怎么办")
    assert top_key(index, "忘记密码怎么办", {"matter": "<script>", "case": "", "policy": "' OR 1=1"}) == plain


def test_a_question_naming_a_section_gets_that_section_of_the_guide(index):
    assert top_key(index, "食品经营许可申请需要准备什么材料") == "matter:SCJG-013:materials"
    assert top_key(index, "国有建设用地使用权首次登记要交多少费用") == "matter:GHZY-002:fee"


def test_the_index_is_built_once_and_rebuilt_when_a_source_file_changes(monkeypatch, index):
    assert ranking.index() is index
    versions = iter([(1,), (2,), (2,)])
    monkeypatch.setattr(ranking, "_files_version", lambda: next(versions))
    first = ranking.index()
    second = ranking.index()
    assert first is not index and second is not first
    assert ranking.index() is second
    monkeypatch.undo()
    ranking.reset()


def test_without_the_policies_app_the_knowledge_base_has_no_policies():
    from django.apps import apps

    if apps.is_installed("qinqing.policies"):
        pytest.skip("the policies app is installed")
    assert knowledge.policy_entries() == []
    assert knowledge.policy_fingerprint() == (0, 0)


def test_a_question_asked_on_a_case_page_prefers_the_faq_about_cases(index):
    hits = index.rank("要补什么", context={"case": "QQ-2026-000123"}).hits
    assert hits[0].entry.topic in ranking.CASE_TOPICS
