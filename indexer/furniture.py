"""Page furniture: text that the publishing website or the word processor added, not the report's author.

Reports are scraped from government sites, so a text may carry "scan to open on your phone" prompts, print and
close buttons, and word-processor bookmarks. None of it is the report, so none of it may reach a passage.
"""

from __future__ import annotations

import re

# Artefacts that can sit anywhere, even glued to a heading ("[bookmark: _GoBack]二、…"); never content.
_INLINE_FURNITURE = re.compile(
    r"\[bookmark:[^\]]*\]"
    r"|扫一扫在手机(?:上)?(?:打开|查看)(?:当前页面?)?"
    r"|用微信扫一扫(?:分享到朋友圈)?"
)

# Site controls that only count as furniture when they make up a whole line: "打印本页" inside a sentence is
# about printing, a line "【打印本页】【关闭窗口】" is a button bar.
_CONTROL = (
    r"打印本页|打印|关闭本页|关闭窗口|关闭|返回顶部|分享到[:：]?|收藏|字号[:：]?|字体[:：]?|大|中|小|默认|"
    r"【|】|\[|\]|\||｜|/"
)
_CONTROL_LINE = re.compile(rf"(?:\s*(?:{_CONTROL})\s*)+")
_BUTTON = re.compile(r"打印|关闭|返回顶部|分享到|字号|字体")


def is_furniture_line(line: str) -> bool:
    """Whether a whole line is page furniture (a button bar such as ``【打印本页】【关闭窗口】``)."""
    stripped = line.strip()
    if not stripped:
        return False
    if not _INLINE_FURNITURE.sub("", stripped).strip():
        return True
    # Must name at least one control, so a line that is just "中" (unlikely but possible) survives.
    return bool(_CONTROL_LINE.fullmatch(stripped) and _BUTTON.search(stripped))


def strip_furniture(text: str) -> str:
    """The text without page furniture; lines keep their places, so a furniture-only line becomes empty."""
    lines = []
    for line in text.splitlines():
        if is_furniture_line(line):
            lines.append("")
        else:
            lines.append(_INLINE_FURNITURE.sub("", line))
    return "\n".join(lines)
