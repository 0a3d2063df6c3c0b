"""English pages are English; the Chinese admin is Chinese; pages show people words, not codes."""

from __future__ import annotations

import html as html_lib
import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from qinqing.accounts.models import Enterprise, User
from qinqing.bundles.models import Bundle
from qinqing.bundles.tests.support import MANUFACTURER, NEW_ENTERPRISE, SOCIAL, submit_bundle
from qinqing.cases.tests.support import (
    REVOKED_ENTERPRISE,
    approved_case,
    enterprise,
    form_data,
    referred_matter,
    reviewer_of,
    session_client,
    submit,
)
from qinqing.catalog.models import Matter

pytestmark = pytest.mark.django_db

HAN = re.compile(r"[\u4e00-\u9fff]+")


class _VisibleText(HTMLParser):
    """Text a person reads: not scripts or styles, not passages marked as Chinese (lang="zh…")."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"br", "input", "img", "meta", "link", "hr"}:
            return
        chinese = any(k == "lang" and (v or "").startswith("zh") for k, v in attrs)
        hidden = tag in {"script", "style", "title"} or ("aria-hidden", "true") in attrs
        inherited = bool(self.stack and self.stack[-1][1])
        self.stack.append((tag, chinese or hidden or inherited))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1][1]):
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = _VisibleText()
    parser.feed(page)
    return " ".join(parser.parts)


def all_text(page: str) -> str:
    """Every text of a page, whatever its language (tags removed)."""
    body = page[page.index("<body"):]
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", body))


def _names() -> list[str]:
    """Names of enterprises and people, and what applicants typed: these stay as written."""
    names = list(Enterprise.objects.values_list("name", flat=True))
    names += [u.label() for u in User.objects.all()]
    names += [u.first_name for u in User.objects.all() if u.first_name]
    names += ["测试内容", "用于测试的说明文字"]
    return sorted({n for n in names if n}, key=len, reverse=True)


def untranslated(page: str, names: list[str]) -> list[str]:
    text = visible_text(page)
    for name in names:
        text = text.replace(name, " ")
    return sorted(set(HAN.findall(text)))


def _english(client: Client) -> Client:
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


def test_the_main_pages_in_english_hold_no_chinese_outside_names():
    names = _names()
    found: dict[str, list[str]] = {}
    anonymous = _english(Client())
    user = enterprise(MANUFACTURER)
    client = _english(session_client(user))
    parent = submit_bundle(SOCIAL, enterprise(NEW_ENTERPRISE))
    newcomer = _english(session_client(enterprise(NEW_ENTERPRISE)))
    approved = approved_case(0)
    pages: list[tuple[Client, str]] = [(anonymous, "/"), (anonymous, "/matters/"), (anonymous, "/bundles/")]
    pages += [(anonymous, f"/matters/{m.code}/") for m in Matter.objects.online()]
    pages += [(client, f"/apply/{m.code}/") for m in Matter.objects.online()]
    pages += [(anonymous, f"/bundles/{b.code}/") for b in Bundle.objects.online()]
    pages += [(client, f"/bundles/{b.code}/apply/") for b in Bundle.objects.online()]
    pages += [(client, "/cases/"), (client, "/licences/"), (client, "/my/data/"), (client, "/my/authorisations/"),
              (newcomer, f"/bundles/cases/{parent.pk}/"), (newcomer, "/cases/"), (newcomer, "/licences/")]
    pages.append((_english(session_client(enterprise(0))), f"/cases/{approved.pk}/"))
    for who, url in pages:
        response = who.get(url)
        assert response.status_code == 200, url
        left = untranslated(response.content.decode(), names)
        if left:
            found[url] = left
    assert not found, "\n".join(f"{url}: {'、'.join(words[:12])}" for url, words in found.items())


def test_the_chinese_admin_names_every_app_and_model_in_chinese():
    admin = User.objects.filter(is_superuser=True).first()
    if admin is None:
        admin = User.objects.create_superuser(username="i8_admin", password="Qinqing@2026x")
    client = Client()
    client.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    page = html_lib.unescape(client.get("/admin/").content.decode())
    start = page.index('<div id="content-main"')
    end = page.index('<div id="content-related"') if '<div id="content-related"' in page else len(page)
    table = re.sub(r"<[^>]+>", " ", page[start:end])
    english_words = [w for w in re.findall(r"[A-Za-z][A-Za-z ]{3,}", table) if w.strip()]
    assert not english_words, english_words
    for must in ("登录记录", "账户与授权", "审计记录"):
        assert must in table


def test_the_audit_trail_in_the_admin_shows_actions_in_words():
    from qinqing.audit.labels import action_label

    assert action_label("case.submitted") == "提交办件"


def test_public_pages_show_no_internal_notes_or_codes():
    guide = html_lib.unescape(Client().get(f"/bundles/{SOCIAL}/").content.decode())
    for leak in ("候选", "未公开", "unverified", "inferred"):
        assert leak not in guide
    user = enterprise(MANUFACTURER)
    page = all_text(session_client(user).get("/my/authorisations/").content.decode())
    assert "industrial-project" not in page


def test_the_admin_hides_the_catalogs_research_fields():
    admin = User.objects.create_superuser(username="i8_admin2", password="Qinqing@2026x")
    client = Client()
    client.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    matter = Matter.objects.first()
    page = client.get(f"/admin/catalog/matter/{matter.pk}/change/").content.decode()
    assert "调研编号" not in page and "可信度" not in page
    bundle = Bundle.objects.first()
    page = client.get(f"/admin/bundles/bundle/{bundle.pk}/change/").content.decode()
    assert "可信度" not in page


def test_a_reviewer_reads_thresholds_in_words_not_rule_expressions():
    matter = referred_matter()
    case = submit(enterprise(REVOKED_ENTERPRISE), matter)
    assert case.verdict and case.verdict["trace"]
    page = all_text(session_client(reviewer_of(matter)).get(f"/cases/{case.pk}/").content.decode())
    assert "登记状态" in page or "经营状态" in page or "状态" in page
    assert "registry.status" not in page and "form." not in page
    assert '["' not in page and "in [" not in page


def test_the_layoff_rate_row_shows_its_threshold_and_the_computed_rate():
    matter = next(m for m in Matter.objects.online().filter(rule_set__isnull=False)
                  if any("measure" in c for c in m.rule_set.current_version().conditions))
    case = submit(enterprise(0), matter, form_data(matter, insured_start=100, insured_end=90))
    row = next(t for t in case.verdict["trace"] if t.get("measured"))
    assert row["outcome"] == "fail" and row["measured"]["value"] == "10.0%"
    page = all_text(session_client(reviewer_of(matter)).get(f"/cases/{case.pk}/").content.decode())
    assert "裁员率：10.0%" in page
    assert "5.5%" in page and "20%" in page
