"""Safe markup building for the report: every string is escaped unless it is :class:`Html`.

The report draws values that come from user data (account names, hashtags,
file paths), so HTML and SVG are never assembled by pasting strings into
f-strings.  :func:`el` builds one element: plain ``str`` children and every
attribute value are escaped with :func:`html.escape`; only :class:`Html`
(the output of :func:`el` itself, or a constant of this package) passes through
unchanged.  Wrapping untrusted text in :class:`Html` is the one way to open a
hole, so nothing outside this package should do it.
"""

from __future__ import annotations

import html
import string
from collections.abc import Iterable

__all__ = ["Html", "el", "esc", "fill", "join"]

#: HTML elements that have no end tag
VOID = frozenset({"br", "hr", "img", "input", "link", "meta", "wbr"})
#: SVG elements written self-closed when they have no children
SVG_EMPTY = frozenset({"circle", "line", "path", "polygon", "polyline", "rect"})


class Html(str):
    """A string of markup that is already safe to emit as it is."""

    __slots__ = ()


def esc(value: object) -> Html:
    """*value* as text, escaped for use in element content or a quoted attribute."""
    if isinstance(value, Html):
        return value
    return Html(html.escape(str(value), quote=True))


def _children(children: Iterable[object]) -> Iterable[Html]:
    for child in children:
        if child is None:
            continue
        if isinstance(child, str | int | float):
            yield esc(child)
        elif isinstance(child, Iterable):
            yield from _children(child)
        else:
            raise TypeError(f"cannot render {type(child).__name__} as markup: {child!r}")


def join(*children: object) -> Html:
    """Children (markup, text, numbers, nested iterables; ``None`` skipped) as one run."""
    return Html("".join(_children(children)))


def _attrs(attrs: dict[str, object]) -> str:
    out = []
    for name, value in attrs.items():
        if value is None or value is False:
            continue
        key = name.rstrip("_").replace("_", "-")
        out.append(f" {key}" if value is True else f' {key}="{esc(value)}"')
    return "".join(out)


def el(tag: str, *children: object, **attrs: object) -> Html:
    """One element: ``el("a", "text", href=url, class_="x")``.

    Attribute names lose a trailing underscore and turn ``_`` into ``-``
    (``class_`` → ``class``, ``data_points`` → ``data-points``); a value of
    ``None`` or ``False`` leaves the attribute out and ``True`` writes it bare.
    Names must be literals of this package, never data.
    """
    inner = join(*children)
    head = f"<{tag}{_attrs(attrs)}"
    if not inner and tag in VOID:
        return Html(head + ">")
    if not inner and tag in SVG_EMPTY:
        return Html(head + "/>")
    return Html(f"{head}>{inner}</{tag}>")


def fill(template: str, **parts: object) -> Html:
    """*template* escaped, with each ``{name}`` replaced by ``parts[name]`` as markup.

    Lets translated sentences hold markup (a number in an LTR span) without
    formatting raw strings: the template's text is escaped like any other.
    """
    out = []
    for literal, field, _spec, _conv in string.Formatter().parse(template):
        out.append(esc(literal))
        if field is not None:
            out.append(join(parts[field]))
    return Html("".join(out))
