"""Synthetic labelled posts for detector tests: neutral template text plus
short indicator tokens (an outlet's name, a hashtag, a slogan) -- never
realistic propaganda prose (the content rules of the project)."""

from __future__ import annotations

import random

from marsad.detect.base import text_posts
from marsad.model import Post

_NEUTRAL_EN = (
    "the weather today is {a} and the market opens at {n}",
    "our team played {a} football match on saturday",
    "new recipe for {a} bread with {n} eggs",
    "traffic on the bridge is {a} this morning",
    "the library opens a {a} reading room next week",
)
_NEUTRAL_AR = (
    "الطقس اليوم {a} والسوق يفتح في {n}",
    "فريقنا لعب مباراة {a} يوم السبت",
    "وصفة جديدة لخبز {a} مع {n} بيضات",
)
_ADJ = ("fine", "calm", "busy", "quiet", "bright", "long")
_ADJ_AR = ("جميل", "هادئ", "مزدحم", "طويل")
_TOKENS_EN = ("#AllEyesOnISIS", "Amaq", "Dabiq", "baqiya wa tatamaddad", "al-Naba")
_TOKENS_AR = ("#باقية_وتتمدد", "وكالة أعماق", "مجلة دابق", "باقية وتتمدد")


def labelled(n: int = 400, seed: int = 1) -> tuple[list[Post], list[int], list[str]]:
    """*n* posts, half labelled 1 (an indicator token added to neutral text),
    in English and Arabic, with an account each of ten posts (the groups)."""
    rnd = random.Random(seed)
    texts, labels, groups = [], [], []
    for i in range(n):
        arabic = i % 3 == 0
        template = rnd.choice(_NEUTRAL_AR if arabic else _NEUTRAL_EN)
        text = template.format(a=rnd.choice(_ADJ_AR if arabic else _ADJ), n=rnd.randint(1, 12))
        label = i % 2
        if label:
            text = f"{text} {rnd.choice(_TOKENS_AR if arabic else _TOKENS_EN)}"
        texts.append(text)
        labels.append(label)
        groups.append(f"@acct{i // 10}")
    return text_posts(texts), labels, groups
