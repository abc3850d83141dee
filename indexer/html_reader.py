"""Saved web pages (``.html``/``.htm``, and ``.mht``/``.mhtml`` archives): the article in them, without the site
around it, and the page's original address.

A government site wraps a report in navigation, breadcrumbs, a "今天是…" date, share buttons, an info line
("来源：… 发布时间：…") and a footer. Only the headline and the body paragraphs are the report; the info line
gives the publish date (its 来源 names whoever uploaded the page, not the report's issuer).

The original address is what the saved file says: ``<link rel="canonical">``, ``<meta property="og:url">``, the
``<!-- saved from url=(…)… -->`` comment a browser writes, or an MHTML archive's ``Content-Location``; an MHTML
archive's ``Date:`` is when it was saved, so it is the access date.
"""

from __future__ import annotations

import email.policy
import re
from dataclasses import dataclass
from datetime import date
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

from indexer.encoding import canonical_codec, decode_text, decode_with, reads_as_chinese
from indexer.metadata import page_date_in
from indexer.report_text import ReadError, ReportText
from search.analysis import fold

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)

_DROP_TAGS = (
    "script style noscript template svg iframe form button select input textarea nav header footer aside head "
    "object embed canvas map"
).split()
_BLOCK_TAGS = set(
    "p div br h1 h2 h3 h4 h5 h6 li ul ol tr table tbody thead tfoot section article blockquote pre dd dt dl "
    "center hr main figure figcaption address caption".split()
)
# id/class names that mark site furniture (English and pinyin, as Chinese CMSs name them).
_FURNITURE_NAME = re.compile(
    r"^(?:nav|navbar|menu|breadcrumbs?|crumbs?|bread|position|location|dqwz|weizhi|share|bdshare|jiathis|fenxiang|"
    r"footer|foot|bottom|header|head|top|topbar|banner|logo|sidebar|side|left|right|toolbar|tools?|print|dayin|"
    r"copyright|banquan|search|login|related|xgxx|xgwz|links?|friendlinks?|yqlj|qrcode|ewm|erweima|"
    r"date|today|weather|pager|pagination|comment)(?:$|[-_\d])",
    re.IGNORECASE,
)

_DATE = re.compile(r"(20\d\d)\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})")
_PUBLISH_META = ("pubdate", "publishdate", "firstpublishedtime", "publishtime", "article:published_time", "dc.date")
_TITLE_META = ("articletitle", "og:title")

_SITE_NAME = re.compile(r"(?:人民政府|政府网|门户网站?|网站|政务公开|信息公开|政务服务网|首页|频道|栏目|政府|网)$")
_TITLE_SEPARATORS = re.compile(r"\s*[_|｜]\s*")
_TITLE_DASH_TAIL = re.compile(r"\s*[-—–－]+\s*([^-—–－]+)$")

# Whole lines that are site furniture wherever they sit.
_FURNITURE_LINE = re.compile(
    r"^(?:当前位置|您的位置|您现在的位置|你现在的位置|所在位置|现在位置|位置)\s*[:：]"
    r"|^今天是"
    r"|^(?:上一篇|下一篇|相关链接|相关文章|相关阅读|附件下载)\s*[:：]?"
    r"|(?:来源|发布时间|发布日期|浏览次数|阅读次数|点击数|访问量|责任编辑|信息来源|文章来源|字号)\s*[:：]"
    r"|版权所有|ICP备|网站标识码|公网安备|网站地图|联系我们|主办单位|承办单位|技术支持"
    r"|^分享到|^扫一扫|^【?\s*(?:打印|关闭|收藏)"
    r"|^首页\s*[>＞»›/]"
)
_INFO_LINE_MAX = 120


_SAVED_FROM = re.compile(r"<!--\s*saved from url=\(\s*\d+\s*\)\s*(\S+?)\s*-->", re.IGNORECASE)


@dataclass(frozen=True)
class Article:
    """What a web page holds of its report."""

    text: str  # the title, then the paragraphs, separated by blank lines
    title: str | None
    publish_date: str | None
    url: str | None = None  # the page's original address, when the page says it


def web_address(value: str | None) -> str | None:
    """``value`` when it is an absolute http(s) address (a saved page may say ``about:blank`` or a file path).

    >>> web_address(" https://www.yuelu.gov.cn/zwgk/1.html "), web_address("file:///C:/x.html")
    ('https://www.yuelu.gov.cn/zwgk/1.html', None)
    """
    text = (value or "").strip()
    parts = urlsplit(text)
    return text if parts.scheme in ("http", "https") and parts.netloc and " " not in text else None


def page_address(html: str, soup: BeautifulSoup | None = None) -> str | None:
    """The address a saved page names as its own: canonical link, then ``og:url``, then "saved from url".

    >>> page_address('<!-- saved from url=(0033)http://www.lingwu.gov.cn/a.html --><html></html>')
    'http://www.lingwu.gov.cn/a.html'
    >>> page_address('<html><head><link rel="canonical" href="https://a.gov.cn/r.html"></head></html>')
    'https://a.gov.cn/r.html'
    """
    soup = soup if soup is not None else BeautifulSoup(html, "lxml")
    for link in soup.find_all("link", href=True):
        rel = link.get("rel") or []
        if "canonical" in [r.lower() for r in (rel if isinstance(rel, list) else [rel])]:
            if found := web_address(link["href"]):
                return found
    for meta in soup.find_all("meta", content=True):
        if (meta.get("property") or meta.get("name") or "").strip().lower() == "og:url":
            if found := web_address(meta["content"]):
                return found
    match = _SAVED_FROM.search(html[:4096])
    return web_address(match.group(1)) if match else None


def declared_charset(data: bytes) -> str | None:
    """The charset a page declares in its first bytes (``<meta charset>`` or ``http-equiv``), as given."""
    match = _CHARSET.search(data[:4096])
    return match.group(1).decode("ascii") if match else None


def decode_html(data: bytes) -> tuple[str, str]:
    """A page's text and the encoding used: the declared charset (every GB* read as GB18030), else detection.

    A page whose bytes are not what it declares (a gb2312 label on UTF-8 bytes) is read by detection, and the
    encoding says so.
    """
    declared = declared_charset(data)
    codec = canonical_codec(declared) if declared else None
    if codec and not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        try:
            text = decode_with(data, codec)
        except ReadError:
            text = None
        if text is not None and (codec == "utf-8" or reads_as_chinese(text, codec)):
            return text, codec
    text, found = decode_text(data)
    return text, (f"{found} (declared {declared})" if declared and canonical_codec(declared) != found else found)


def clean_title(page_title: str) -> str:
    """A page ``<title>`` without the site's suffixes.

    >>> clean_title("关于2024年法治政府建设情况的报告_政务公开_长治市人民政府")
    '关于2024年法治政府建设情况的报告'
    >>> clean_title("灵武市2024年法治政府建设年度报告 - 灵武市人民政府")
    '灵武市2024年法治政府建设年度报告'
    """
    title = _TITLE_SEPARATORS.split(page_title.strip())[0]
    while True:
        match = _TITLE_DASH_TAIL.search(title)
        if not match or not _SITE_NAME.search(match.group(1).strip()):
            return title.strip()
        title = title[: match.start()]


def _is_site_name(text: str) -> bool:
    return len(text) <= 20 and bool(_SITE_NAME.search(text)) and not re.search(r"报告|20\d\d", text)


def _iso(match: re.Match) -> str | None:
    try:
        return date(*(int(g) for g in match.groups()[:3])).isoformat()
    except ValueError:
        return None


def publish_date_in(lines: list[str]) -> str | None:
    """The date the page's own information line gives (``来源：市司法局 发布时间：2024-03-28``, ``发布日期``,
    ``更新时间：2021/03/29``, ``日期：``), best label first; never the site's clock (今天是…, a lunar date), a
    copyright line or an address (see :func:`indexer.metadata.page_date_in`).

    >>> publish_date_in(["今天是：2019年12月3日 星期二", "来源：市司法局  发布时间：2024-03-28 09:30"])
    '2024-03-28'
    """
    return page_date_in(lines)


def is_furniture_line(line: str) -> bool:
    """Whether a line of a page is the site's rather than the report's (breadcrumbs, info line, footer).

    >>> is_furniture_line("当前位置：首页 > 政务公开 > 法治政府建设"), is_furniture_line("一、主要举措和成效")
    (True, False)
    """
    return len(line) <= _INFO_LINE_MAX and bool(_FURNITURE_LINE.search(line))


def _text_of(node) -> str:
    return re.sub(r"\s+", " ", node.get_text(" ")).strip()


def _lines(el: Tag, out: list[str]) -> None:
    """The text under ``el`` with a line break at every block boundary."""
    for child in el.children:
        if isinstance(child, Comment | Declaration | Doctype | ProcessingInstruction):
            continue
        if isinstance(child, NavigableString):
            # Source line breaks between Chinese characters are not spaces (HTML source is wrapped anywhere).
            text = re.sub(r"(?<=[\u2e80-\u9fff\uff00-\uffef])\s*\n\s*(?=[\u2e80-\u9fff\uff00-\uffef])", "", child)
            out.append(re.sub(r"\s+", " ", text))
            continue
        if not isinstance(child, Tag):
            continue
        if child.name == "br":
            out.append("\n")
            continue
        block = child.name in _BLOCK_TAGS
        if block:
            out.append("\n")
        _lines(child, out)
        if block:
            out.append("\n")
        elif child.name in ("td", "th"):
            out.append(" ")


def block_lines(el: Tag) -> list[str]:
    """The non-empty lines of text under ``el``, stripped."""
    out: list[str] = []
    _lines(el, out)
    return [line.strip() for line in "".join(out).split("\n") if line.strip()]


def _is_furniture_element(el: Tag, page_stops: int) -> bool:
    names = [el.get("id") or ""] + list(el.get("class") or [])
    if not any(_FURNITURE_NAME.match(n) for n in names if isinstance(n, str)):
        return False
    # A wrapper named "top" or "left" that holds most of the report's sentences is not furniture.
    return el.get_text().count("。") <= max(2, page_stops // 2)


def _paragraph_weight(el: Tag) -> float:
    """How much report-like text an element holds itself: sentence text, not link lists."""
    if el.name == "p":
        text = _text_of(el)
        text_len = len(text) - sum(len(_text_of(a)) for a in el.find_all("a"))
    else:
        text = "".join(s for s in el.find_all(string=True, recursive=False) if not isinstance(s, Comment)).strip()
        text_len = len(text) if len(text) >= 10 else 0
    # Only sentences count: menus, link lists and the site's name have no sentence punctuation.
    if text_len <= 0 or not re.search(r"[。，；]", text):
        return 0.0
    return text_len + 20 * (text.count("。") + text.count("，"))


_CONTAINER_SHARE = 0.9


def _container(body: Tag) -> Tag:
    """The element holding the article: the deepest one that still holds nearly all the page's sentence text."""
    totals: dict[int, float] = {}

    def total(el: Tag) -> float:
        value = _paragraph_weight(el) + sum(total(c) for c in el.children if isinstance(c, Tag))
        totals[id(el)] = value
        return value

    whole = total(body)
    node = body
    while True:
        child = next(
            (c for c in node.children if isinstance(c, Tag) and totals[id(c)] >= _CONTAINER_SHARE * whole), None
        )
        if child is None or whole == 0:
            return node
        node = child


def extract_article(html: str) -> Article:
    """The report in a saved web page: its title line and body paragraphs, the site's furniture dropped."""
    soup = BeautifulSoup(html, "lxml")
    meta = {
        (m.get("name") or m.get("property") or "").strip().lower(): (m.get("content") or "").strip()
        for m in soup.find_all("meta")
    }
    url = page_address(html, soup)
    page_title = clean_title(soup.title.get_text()) if soup.title else ""
    for tag in soup.find_all(["script", "style", "noscript", "template"]):
        tag.decompose()
    body = soup.body or soup
    all_lines = block_lines(body)

    publish = None
    for name in _PUBLISH_META:
        found = _DATE.search(meta.get(name, ""))
        if found and (publish := _iso(found)):
            break
    publish = publish or publish_date_in(all_lines)

    candidates = [meta.get(name, "") for name in _TITLE_META]
    candidates += [_text_of(h) for h in body.find_all("h1")]
    candidates += [page_title]
    candidates += [_text_of(h) for h in body.find_all("h2")]
    title = next((c for c in candidates if len(c) >= 6 and not _is_site_name(c)), None)

    page_stops = body.get_text().count("。")
    for tag in body.find_all(_DROP_TAGS):
        tag.decompose()
    for el in body.find_all(True):
        if not el.decomposed and _is_furniture_element(el, page_stops):
            el.decompose()
    lines = [line for line in block_lines(_container(body)) if not is_furniture_line(line)]
    if title:
        # The headline usually repeats at the top of the article (once as <h1>, once as a bold line).
        folded_title = fold(title)
        while lines and fold(lines[0]) in (folded_title, fold(page_title)):
            lines.pop(0)
        lines.insert(0, title)
    return Article(text="\n\n".join(lines), title=title, publish_date=publish, url=url)


def _saved_page(
    text: str, encoding: str, fmt: str, location: str | None = None, accessed: str | None = None
) -> ReportText:
    """A saved page's article, with its title, publish date and address (the page's own, else ``location``)."""
    if not text.strip():
        raise ReadError("empty file")
    article = extract_article(text)
    if not article.text.strip():
        raise ReadError("no article text found in the page")
    return ReportText(
        article.text,
        format=fmt,
        encoding=encoding,
        title=article.title,
        publish_date=article.publish_date,
        source_url=article.url or location,
        accessed=accessed,
    )


def read_html(path: Path) -> ReportText:
    """A saved web page: the article's text, with its title and publish date as hints."""
    text, encoding = decode_html(path.read_bytes())
    return _saved_page(text, encoding, "html")


def read_mhtml(path: Path) -> ReportText:
    """A web page saved as one MHTML archive (``.mht``/``.mhtml``): its HTML part read as a saved page; the
    part's ``Content-Location`` (or the archive's ``Snapshot-Content-Location``) is the original address when
    the page names none, and the archive's ``Date:`` the access date."""
    message = BytesParser(policy=email.policy.default).parsebytes(path.read_bytes())
    part = next((p for p in message.walk() if p.get_content_type() == "text/html"), None)
    if part is None:
        raise ReadError("no web page (text/html part) in the MHTML archive")
    data = part.get_payload(decode=True) or b""
    codec = canonical_codec(part.get_content_charset() or "")
    try:
        text, encoding = (decode_with(data, codec), codec) if codec else decode_html(data)
    except ReadError:  # bytes that are not what the part declares: detected, as for a page
        text, encoding = decode_html(data)
    location = web_address(part.get("Content-Location")) or web_address(message.get("Snapshot-Content-Location"))
    return _saved_page(text, encoding, "mhtml", location, _header_date(message.get("Date")))


def _header_date(value: str | None) -> str | None:
    """The ISO date of a MIME ``Date:`` header (``Tue, 2 Dec 2025 09:30:00 +0800`` → ``2025-12-02``)."""
    if not value:
        return None
    try:
        return parsedate_to_datetime(str(value)).date().isoformat()
    except (TypeError, ValueError):
        return None
