"""Chinese segmentation for the assistant: a private, quiet jieba tokenizer with the catalog's terms."""

from __future__ import annotations

import logging
import re
import tempfile
import threading
import unicodedata
from collections.abc import Iterable

import jieba

# jieba logs its dictionary loading on stderr at DEBUG level.
jieba.setLogLevel(logging.WARNING)

# Words that say nothing about which entry answers the question.
_STOPWORDS = (
    "的 了 吗 呢 吧 啊 呀 么 和 与 及 或 在 是 有 我 我们 你 你们 您 他 她 它 这 那 这个 那个 哪个 哪些 什么 怎么 怎样 怎么样 如何 "
    "请问 请 想 想要 要 需要 能 能否 能不能 可以 可不可以 是否 是不是 一下 一个 个 吗 么 就 都 也 还 又 被 把 给 对 向 从 到 "
    "为 为什么 啥 咋 哪 哪里 哪儿 多少 几 吗 公司 企业 我司 本公司 单位 平台 上 里 中 时 时候 后 之后 以后 "
    "a an the of to in on for is are do does how what can i we my our you your it be with where when which "
    "who why this that there at by as or and get me"
)
STOPWORDS = frozenset(_STOPWORDS.split())

# Groups of words the enterprise uses for the same thing; every word also yields the group's first word.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("社保", "社会保险", "五险", "养老保险"),
    ("医保", "医疗保险", "生育保险"),
    ("公积金", "住房公积金"),
    ("执照", "营业执照"),
    ("信用代码", "统一社会信用代码", "社会信用代码", "税号", "纳税人识别号"),
    ("时限", "多久", "几天", "多长时间", "时间", "期限", "办结", "工作日", "天"),
    ("收费", "费用", "多少钱", "要钱", "收钱", "免费", "钱"),
    ("材料", "资料", "文件", "证明材料", "准备", "提交"),
    ("依据", "法律依据", "法规", "规定", "条例", "政策依据"),
    ("秒办", "自动审批", "无感审批", "智慧审批", "秒批", "自动办"),
    ("补正", "补材料", "补交", "退回", "打回"),
    ("一件事", "联办", "打包办", "套餐"),
    ("替办", "代办", "政府替办", "代办员", "帮办"),
    ("授权", "委托", "授权书"),
    ("登录", "登陆", "登入", "登不上", "进不去"),
    ("密码", "口令"),
    ("证照", "电子证照", "证书", "许可证"),
    ("核验", "验证", "验真", "真伪", "二维码"),
    ("增员", "新增职工", "新员工", "入职", "参保登记"),
    ("减员", "停保", "离职"),
    ("发票", "开票", "领票", "票"),
    ("注销", "关闭", "不做了"),
    ("变更", "修改", "更改", "换"),
    ("地址", "住所", "注册地"),
    ("法人", "法定代表人"),
    ("开办", "设立", "注册", "成立", "新办", "开公司"),
    ("进度", "状态", "到哪了", "查询"),
    ("稳岗", "稳岗返还", "稳岗补贴"),
    ("补贴", "补助", "奖励", "资金", "兑付"),
    ("评价", "打分", "满意度", "投诉"),
    ("工单", "留言"),
    ("证明", "开具", "证明书"),
    ("年报", "年度报告"),
    ("饭店", "餐厅", "餐饮", "饭馆", "小吃店"),
    ("药店", "药房", "药品零售"),
    ("理发店", "美容美发", "美发"),
    ("工业", "厂房", "工厂", "建厂"),
    ("手机号", "手机", "电话", "联系方式"),
)

_SYNONYM_OF = {word: group[0] for group in SYNONYMS for word in group}
_SYMBOLS = re.compile(r"[^\w]+", re.UNICODE)
_LATIN = re.compile(r"[0-9a-z_]+")
_TAGS = re.compile(r"<[^>]{0,200}>")

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None
_terms: frozenset[str] = frozenset()


def normalise(text: str) -> str:
    """Fold width and case, drop markup and symbols: what the tokenizer sees."""
    text = unicodedata.normalize("NFKC", text).lower()
    return _SYMBOLS.sub(" ", _TAGS.sub(" ", text))


def prepare(terms: Iterable[str]) -> None:
    """Build the tokenizer with `terms` as extra dictionary words (again only when the terms change)."""
    global _tokenizer, _terms
    wanted = frozenset(t.strip() for t in terms if 2 <= len(t.strip()) <= 12)
    with _lock:
        if _tokenizer is not None and wanted == _terms:
            return
        tokenizer = jieba.Tokenizer()
        # The prefix dictionary is cached in the temporary directory, not beside the package.
        tokenizer.tmp_dir = tempfile.gettempdir()
        tokenizer.cache_file = "qinqing-assistant-jieba.cache"
        tokenizer.initialize()
        for group in SYNONYMS:
            for word in group:
                if len(word) > 1:
                    tokenizer.add_word(word, freq=2000)
        for term in sorted(wanted):
            tokenizer.add_word(term, freq=1000)
        _tokenizer, _terms = tokenizer, wanted


def bigrams(text: str) -> list[str]:
    """Overlapping pairs of characters within each run of Chinese text: segmentation-free search terms.

    Runs of Latin letters and digits are left to the word index: their bigrams (“or”, “pd”) match noise.
    """
    out: list[str] = []
    for run in _LATIN.sub(" ", normalise(text)).split():
        out.extend(run[i:i + 2] for i in range(len(run) - 1))
    return out


def signature() -> str:
    """What segmentation depends on besides the text: a cache of segmented text is valid while this holds."""
    return f"jieba {jieba.__version__}|{sorted(STOPWORDS)}|{SYNONYMS}|{sorted(_terms)}"


def tokens(text: str) -> list[str]:
    """Segment `text` into search terms: jieba's search mode, stopwords dropped, synonyms added."""
    if _tokenizer is None:
        prepare(())
    assert _tokenizer is not None
    out: list[str] = []
    for word in _tokenizer.cut_for_search(normalise(text), HMM=False):
        word = word.strip()
        if not word or word in STOPWORDS:
            continue
        out.append(word)
        canonical = _SYNONYM_OF.get(word)
        if canonical is not None and canonical != word:
            out.append(canonical)
    return out
