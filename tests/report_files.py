"""Report files as users really save them, generated for tests: web pages with site furniture, Word, PDF."""

from __future__ import annotations

import html
from pathlib import Path

SITE = "长治市人民政府"

# Two short reports of two places and years, as plain text.
REPORT_A = """长治市2024年法治政府建设年度报告
2024年，我市坚持以习近平法治思想为指导，法治长治建设取得积极成效。
一、主要举措和成效
（一）践行新时代“枫桥经验”。长治市推进矛盾纠纷化解。
二、存在的问题
行政复议和诉讼衔接不够顺畅。
"""

REPORT_B = """灵武市2023年法治政府建设年度报告
2023年，灵武市坚持依法行政，推行首违不罚清单。
一、工作举措和成效
（一）坚持和发展枫桥经验，灵武市化解矛盾。
"""


def html_page(title: str, paragraphs: list[str], charset: str = "utf-8", publish: str = "2025-03-28") -> str:
    """A saved government web page: navigation, breadcrumbs, the site's clock, an info line, share buttons,
    a related-links list and a footer around the article."""
    body = "\n".join(f'<p style="text-indent:2em">{html.escape(p)}</p>' for p in paragraphs)
    return f"""<!DOCTYPE html>
<html><head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{html.escape(title)}_政务公开_{SITE}</title>
<style>p {{ margin: 0 }}</style>
<script>var today = "2019年12月3日"; document.write(today);</script>
</head><body>
<div class="top"><div class="logo"><h1>{SITE}</h1></div>
<div class="date">今天是：2019年12月3日 星期二</div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk">政务公开</a></li>
<li><a href="/hd">互动交流</a></li></ul>
</div>
<div class="main">
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk">政务公开</a> &gt; 法治政府建设</div>
<div class="article">
<h1 class="article-title">{html.escape(title)}</h1>
<div class="info">来源：市司法局　　发布时间：{publish} 09:30　　浏览次数：1024　　字号：【大 中 小】</div>
<div class="TRS_Editor" id="zoom">
{body}
</div>
<div class="share">分享到：<a>微信</a> <a>微博</a></div>
<div class="print">【打印本页】【关闭窗口】</div>
</div>
<div class="related"><h3>相关阅读</h3><ul><li><a>2023年法治政府建设年度报告</a></li>
<li><a>我市召开依法行政工作会议</a></li></ul></div>
</div>
<div class="footer">版权所有：{SITE}办公室　主办单位：{SITE}办公室　晋ICP备00000000号 网站标识码：1404000000</div>
</body></html>
"""


def write_docx(path: Path, paragraphs: list[str], title: str | None = None) -> Path:
    """A Word file: the title as a heading, then one paragraph each, and a small table."""
    import docx

    document = docx.Document()
    if title:
        document.add_heading(title, level=1)
    for p in paragraphs:
        document.add_paragraph(p)
    document.save(str(path))
    return path


def write_pdf(
    path: Path, paragraphs: list[str], chars_per_line: int = 30, lines_per_page: int = 30, header: str | None = SITE
) -> Path:
    """A PDF with a Chinese text layer (reportlab's built-in STSong-Light CID font): paragraphs indented and
    broken into lines at a fixed width, a running header (unless ``header`` is None) and a page number on every
    page."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    lines: list[str] = []
    for p in paragraphs:
        text = "\u3000\u3000" + p
        lines.extend(text[i : i + chars_per_line] for i in range(0, len(text), chars_per_line))
    c = canvas.Canvas(str(path))
    pages = [lines[i : i + lines_per_page] for i in range(0, len(lines), lines_per_page)] or [[]]
    for n, page in enumerate(pages, start=1):
        if header:
            c.setFont("STSong-Light", 9)
            c.drawString(72, 800, f"{header}文件")
        c.setFont("STSong-Light", 12)
        y = 760
        for line in page:
            c.drawString(72, y, line)
            y -= 22
        c.drawString(290, 40, f"- {n} -")
        c.showPage()
    c.save()
    return path


def write_scanned_pdf(path: Path) -> Path:
    """A PDF with pages of pictures only (as a scanner makes): no text layer."""
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    for _ in range(2):
        c.rect(72, 72, 400, 600, fill=1)
        c.showPage()
    c.save()
    return path
