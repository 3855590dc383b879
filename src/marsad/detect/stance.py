"""Stance cues: does a post report on the movement, condemn it, or speak for it?

Part of the *detect* stage, beside the classifier and the indicators, and read
by the risk score (:mod:`marsad.detect.risk`) as named inputs of its text
stage.  The classifier learns the movement's *vocabulary*; news about an
attack, a statement condemning it and a supporter's celebration of it share
that vocabulary ("attack", "killed", "Islamic State", the place), and inside
the posts found by the movement's own keywords the classifier ranks support
against news and counter-speech barely better than by chance (ROC-AUC about
0.72 in the keyword-found file of ``../shared/datasets``; issue 16).  What
separates them is how the post speaks: who it attributes things to, what it
calls the group, whom it addresses, and whether it praises or condemns.

:func:`stance_cues` gives, for every post, one number per cue of
:data:`CUES` -- ``log(1 + n)`` of the occurrences ``n`` of the cue's words,
phrases or characters (0: none):

* ``attribution`` -- reporting and attribution: "according to", "said in a
  statement", "claimed responsibility", "sources say", "reportedly", "بحسب",
  "وفقا ل", "نقلا عن", "اعلن", "selon", "d'après", "a revendiqué" ...
* ``news`` -- news formatting: "breaking", "update", "read more", outlet
  names, "via", and the ``|`` of headline bylines;
* ``condemnation`` -- condemnation and counter-speech: "condemn",
  "terrorist", "murderers", "cowardly", "victims", "not Islam", "يدين",
  "ارهابي", "خوارج", "condamne", "barbarie" ...;
* ``outsider_name`` -- what opponents and the press call the group:
  "Daesh", "ISIS", "ISIL", "so-called Islamic State", "داعش", "تنظيم الدولة";
* ``group_name`` -- what supporters call it: "the Islamic State" (not when
  "so-called" or "self-proclaimed" precedes it), "Dawlah", "Khilafah",
  "الدولة الاسلامية", "دولة الخلافة" (the naming is a known stance cue: the
  press writes "Islamic State militants", supporters "soldiers of the
  Khilafah");
* ``praise`` -- praise and prayer formulas applied to fighters and the
  group: "may Allah accept him", "remaining and expanding", "تقبله الله",
  "نحسبه", "باقية وتتمدد", "lions of" ...;
* ``enemy_terms`` -- the in-group's words for its enemies: "crusaders",
  "apostates", "rafidah", "taghut", "الصليبيين", "المرتدين", "الطواغيت" ...;
* ``call`` -- second-person calls to action: "O Muslims", "rise up",
  "join", "migrate", "يا ايها", "انفروا", "rejoignez" ...;
* ``second_person`` -- second-person pronouns ("you", "your", "vous",
  "انتم", "عليكم");
* ``quote`` -- quotation marks (``" “ ” « » „``; the straight and curly
  single quotes are left out: they are apostrophes as often);
* ``question`` -- question marks (``?``, ``؟``).

**Matching.**  Texts are normalised as the store does
(:func:`marsad.text.normalize.normalize_many`: case folded, Arabic alef,
hamza and yeh forms unified, harakat and tatweel removed), and the lexicons
are normalised the same way when they are compiled.  An entry matches on word
boundaries (the characters around it are not letters, digits or ``_``); an
entry ending in ``*`` matches any word it begins (``condemn*``: condemned,
condemnation).  Inside an entry any run of non-word characters matches any
other (``so-called`` finds "so called").  Arabic entries also match after
the proclitics ``و``/``ف`` then ``ب``/``ل``/``ك`` (and ``لل`` for ``ال``),
and with ``ه`` for a final ``ة``; apostrophes match ``'`` or ``’``; French
entries also match without their accents.

**Speed.**  All the lexicons are one Aho-Corasick automaton over a small
alphabet (the letters the lexicons use, "another word character", and "not
a word character"), run as a dense transition table by one compiled loop
(numba) over the code points of the whole batch.  On 92,154 posts already
normalised: 0.20 s (about 450,000 posts/s; the loop is about 11 ns a
character), 2.0% of the time :meth:`TextClassifier.score
<marsad.detect.classifier.TextClassifier.score>` took on the same posts in
the same process (machine under load; issue 16's notes).  The automaton
(about 15,000 states) is built once per process in under 0.1 s; the loop is
compiled on first use (about 1 s).

**Lexicons** are general vocabulary written for this module (English,
Arabic, French), not taken from any dataset.  **Known false positives** --
the cues are evidence, not verdicts, and the risk stage weighs them:
supporters relay their outlets' news in news form ("claimed responsibility",
"according to Amaq"), so ``attribution`` and ``news`` also occur in
propaganda; supporters call their enemies "terrorists" and "criminals" too,
so ``condemnation`` words are not always counter-speech; "ISIS" is also
typed by supporters writing for outsiders; ``group_name`` and ``praise``
occur in quotation and in research on the movement's language; ``call``
catches ordinary calls ("join us tonight", "يا رب").

**Measured** (issue 16's notes; grouped 5-fold cross-validation by account,
fold seeds 0-4, the four files of ``make model``): as extra inputs of the
text risk stage the cues move the ROC-AUC inside the keyword-found file from
0.709 to 0.716 on average, the other files unchanged.  In that file the
hand-labelled supporters' posts carry *more* ``condemnation`` and
``second_person`` words than its news and counter-speech, and no fewer
``outsider_name`` ones: its supporters attack their enemies in those words
and address the reader.  The cue directions are therefore learnt, never
assumed.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from marsad.detect.features import char_classes
from marsad.text.normalize import normalize, normalize_many

__all__ = ["CUES", "LEXICONS", "stance_counts", "stance_cues"]

#: the cues of :func:`stance_cues`, in this order (module docstring)
CUES = (
    "attribution",
    "news",
    "condemnation",
    "outsider_name",
    "group_name",
    "praise",
    "enemy_terms",
    "call",
    "second_person",
    "quote",
    "question",
)

#: the word lists of the lexical cues (module docstring for the matching rules)
LEXICONS: dict[str, tuple[str, ...]] = {
    "attribution": (
        # English
        "according to",
        "said in a statement",
        "in a statement",
        "said on",
        "said that",
        "told reporters",
        "told the",
        "officials said",
        "official said",
        "police said",
        "sources say",
        "sources said",
        "a source",
        "sources close to",
        "claimed responsibility",
        "claims responsibility",
        "claiming responsibility",
        "claim responsibility",
        "has claimed",
        "have claimed",
        "reportedly",
        "reported",
        "reports",
        "alleged*",
        "spokesman",
        "spokesperson",
        "spokeswoman",
        "announced",
        "confirmed",
        "quoted",
        "quoting",
        "press release",
        "correspondent",
        "journalist*",
        "officials",
        "authorities",
        "ministry",
        "witnesses",
        # Arabic
        "قال",
        "قالت",
        "وقال",
        "وقالت",
        "اعلن",
        "اعلنت",
        "بحسب",
        "حسب",
        "وفقا ل*",
        "وفقا",
        "وفق",
        "نقلا عن",
        "نقل عن",
        "مصادر",
        "مصدر",
        "افاد",
        "افادت",
        "ذكر",
        "ذكرت",
        "صرح",
        "اكد",
        "اكدت",
        "اضاف",
        "اضافت",
        "بيان",
        "تبنى",
        "تبنت",
        "تبني",
        "مسؤوليه",
        "مسؤولية",
        "مراسل",
        "المتحدث",
        "متحدث",
        "مسؤول",
        "مسؤولون",
        "شهود عيان",
        "السلطات",
        # French
        "selon",
        "d'après",
        "a revendiqué",
        "ont revendiqué",
        "revendiqué",
        "revendique",
        "revendication",
        "a déclaré",
        "a annoncé",
        "a indiqué",
        "a affirmé",
        "a confirmé",
        "communiqué",
        "porte-parole",
        "sources",
        "de source",
        "rapporte",
        "aurait",
        "auraient",
    ),
    "news": (
        "breaking",
        "breaking news",
        "update",
        "updated",
        "live",
        "read more",
        "full story",
        "more here",
        "watch",
        "video",
        "photos",
        "exclusive",
        "analysis",
        "opinion",
        "op-ed",
        "via",
        "reuters",
        "afp",
        "associated press",
        "bbc",
        "cnn",
        "al jazeera",
        "aljazeera",
        "guardian",
        "nytimes",
        "new york times",
        "washington post",
        "wsj",
        "fox news",
        "sky news",
        "france 24",
        "le monde",
        "le figaro",
        "dernière minute",
        "urgent",
        "عاجل",
        "خبر",
        "اخبار",
        "الاخبار",
        "تقرير",
        "فيديو",
        "شاهد",
        "صحيفه",
        "صحيفة",
        "وكاله",
        "وكالة",
        "قناة",
        "قناه",
        "الجزيره",
        "الجزيرة",
        "العربيه",
        "العربية",
        "رويترز",
    ),
    "condemnation": (
        "condemn*",
        "terroris*",
        "terror",
        "murder*",
        "killers",
        "butcher*",
        "barbar*",
        "savage*",
        "evil",
        "coward*",
        "hate",
        "hateful",
        "victim*",
        "innocent*",
        "not islam",
        "nothing to do with islam",
        "un-islamic",
        "unislamic",
        "not muslims",
        "hijack*",
        "extremis*",
        "radicali*",
        "brainwash*",
        "thugs",
        "scum",
        "criminal*",
        "atrocit*",
        "horrific",
        "horrible",
        "disgusting",
        "sick",
        "shame*",
        "tragic",
        "tragedy",
        "mourn*",
        "condolences",
        "pray for",
        "prayers",
        "thoughts and prayers",
        "solidarity",
        "rest in peace",
        "rip",
        "stop",
        "against",
        "defeat*",
        "fight against",
        "counter",
        "deradicali*",
        "wrong",
        "lies",
        "liars",
        "propaganda",
        "nutjobs",
        "psychopath*",
        "lunatic*",
        # French
        "condamn*",
        "lâche*",
        "assassin*",
        "horreur",
        "ignoble",
        "odieux",
        "deuil",
        "hommage",
        # Arabic
        "يدين",
        "ندين",
        "تدين",
        "ادان",
        "ادانت",
        "ادانه",
        "ادانة",
        "نستنكر",
        "يستنكر",
        "استنكار",
        "ارهاب*",
        "الارهاب*",
        "خوارج",
        "الخوارج",
        "مجرم*",
        "المجرم*",
        "اجرام*",
        "الاجرام*",
        "جريمه",
        "جريمة",
        "جرائم",
        "وحشي*",
        "همجي*",
        "ضحايا",
        "الضحايا",
        "ابرياء",
        "الابرياء",
        "تكفيري*",
        "التكفيري*",
        "متطرف*",
        "المتطرف*",
        "تطرف",
        "التطرف",
        "عصابه",
        "عصابة",
        "مرتزقه",
        "مرتزقة",
        "لا يمثل",
        "لا يمثلون",
        "ليس من الاسلام",
        "براء",
        "رحم الله الشهداء",
    ),
    "outsider_name": (
        "daesh",
        "da'esh",
        "daech",
        "daeshbags",
        "isis",
        "isil",
        "so-called islamic state",
        "so-called",
        "self-proclaimed",
        "self-styled",
        "islamic state militants",
        "islamic state fighters",
        "islamic state group",
        "is militants",
        "is fighters",
        "jihadists",
        "jihadist group",
        "militants",
        "militant group",
        "etat islamique",
        "état islamique",
        "groupe etat islamique",
        "groupe état islamique",
        "djihadistes",
        "jihadistes",
        "داعش",
        "الداعشي*",
        "داعشي*",
        "دواعش",
        "الدواعش",
        "تنظيم الدوله",
        "تنظيم الدولة",
        "ما يسمى",
        "ما يعرف",
        "المزعوم*",
        "مسلحي",
        "عناصر التنظيم",
    ),
    "group_name": (
        "islamic state",
        "the state",
        "dawlah",
        "dawla",
        "dawlat",
        "khilafah",
        "khilafa",
        "khilafat",
        "caliphate",
        "ad-dawlah",
        "ansar",
        "ansaar",
        "wilayah",
        "wilayat",
        "amirul mu'minin",
        "amir al-mu'minin",
        "الدوله الاسلاميه",
        "الدولة الاسلامية",
        "دوله الاسلام",
        "دولة الاسلام",
        "دوله الخلافه",
        "دولة الخلافة",
        "الخلافه",
        "الخلافة",
        "خلافه",
        "خلافة",
        "ولايه",
        "ولاية",
        "امير المؤمنين",
        "جنود الخلافه",
        "جنود الخلافة",
        "الدوله",
        "الدولة",
        "l'etat islamique",
        "khalifa",
        "califat",
    ),
    "praise": (
        "may allah accept",
        "may allah protect",
        "may allah preserve",
        "may allah grant",
        "may allah bless",
        "may allah have mercy",
        "may allah give",
        "taqabbal*",
        "accept him",
        "accept them",
        "we consider him",
        "we consider them",
        "remaining and expanding",
        "baqiyah",
        "baqiya",
        "lions of",
        "lion of",
        "brave",
        "heroes",
        "hero",
        "blessed",
        "glad tidings",
        "victory",
        "victorious",
        "martyr*",
        "shaheed",
        "shahid",
        "istishhadi",
        "inghimasi",
        "mujahid*",
        "soldiers of",
        "knights",
        "glory",
        "allahu akbar",
        "takbir",
        "subhanallah",
        "mashallah",
        "masha allah",
        "jannah",
        "paradise",
        "our brothers",
        "brothers",
        "akhi",
        "ikhwa",
        "qu'allah accepte",
        "qu'allah",
        "moudjahid*",
        "frères",
        "تقبله الله",
        "تقبلهم الله",
        "تقبل الله",
        "تقبلها الله",
        "نحسبه",
        "نحسبهم",
        "نحسبها",
        "حفظه الله",
        "حفظهم الله",
        "نصره الله",
        "نصرهم الله",
        "اللهم انصر",
        "اللهم تقبل",
        "باقيه",
        "باقية",
        "باقيه وتتمدد",
        "باقية وتتمدد",
        "تتمدد",
        "اسود",
        "اسود الخلافه",
        "اسود الخلافة",
        "المجاهد*",
        "مجاهد*",
        "الشهيد",
        "شهيد",
        "الشهداء",
        "استشهادي*",
        "الاستشهادي*",
        "انغماسي*",
        "الانغماسي*",
        "غزوه",
        "غزوة",
        "بشرى",
        "بشري",
        "ابطال",
        "الابطال",
        "فرسان",
        "الله اكبر",
        "نصر",
        "النصر",
    ),
    "enemy_terms": (
        "crusader*",
        "apostate*",
        "murtad*",
        "rafidah",
        "rafidi",
        "rafida",
        "rawafid",
        "nusayri*",
        "taghut",
        "tawaghit",
        "tawagheet",
        "kuffar",
        "kufaar",
        "kafir*",
        "kaafir*",
        "mushrik*",
        "sahwat",
        "safavid*",
        "zionist crusader*",
        "croisé*",
        "apostats",
        "mécréant*",
        "taghout",
        "الصليبي*",
        "صليبي*",
        "المرتد*",
        "مرتد*",
        "الرافضه",
        "الرافضة",
        "رافضي*",
        "الرافضي*",
        "روافض",
        "الروافض",
        "النصيري*",
        "نصيري*",
        "الطواغيت",
        "طواغيت",
        "طاغوت",
        "الطاغوت",
        "الكفار",
        "كفار",
        "الكفره",
        "الكفرة",
        "الصحوات",
        "صحوات",
        "المشركين",
        "مشركين",
        "الردة",
        "الرده",
        "جيش الرده",
        "جيش الردة",
        "المرتزقه",
        "البشمركه",
        "البيشمركه",
        "الحشد الشيعي",
        "الصفوي*",
        "صفوي*",
    ),
    "call": (
        "o muslims",
        "o muslim",
        "oh muslims",
        "o brothers",
        "o ummah",
        "o youth",
        "o you who believe",
        "rise up",
        "join",
        "join us",
        "join the",
        "come to",
        "migrate",
        "make hijrah",
        "hijrah",
        "go forth",
        "support the",
        "support your",
        "help your",
        "fight them",
        "kill them",
        "strike them",
        "wake up",
        "spread",
        "share",
        "don't",
        "do not",
        "you must",
        "you should",
        "never forget",
        "make dua",
        "ô musulmans",
        "o musulmans",
        "rejoignez",
        "rejoins",
        "vous devez",
        "يا ايها",
        "يا امه",
        "يا امة",
        "يا اخوه",
        "يا اخوة",
        "يا اخواني",
        "يا شباب",
        "يا مسلمين",
        "يا اهل",
        "يا اسود",
        "انفروا",
        "هاجروا",
        "قاتلوا",
        "انصروا",
        "اقتلوهم",
        "انشروا",
        "ادعوا",
        "التحقوا",
        "الحقوا",
        "بايعوا",
        "ايها المسلمون",
        "ايها الموحدون",
        "يا",
    ),
    "second_person": (
        "you",
        "your",
        "you're",
        "youre",
        "yours",
        "yourself",
        "yourselves",
        "ur",
        "vous",
        "votre",
        "vos",
        "tu",
        "toi",
        "انت",
        "انتم",
        "عليكم",
        "لكم",
        "منكم",
        "اليكم",
    ),
}

#: entries that take an occurrence back from a cue: "so-called Islamic State"
#: is not the supporters' name, whatever "Islamic State" in it says; the
#: press's "Islamic State militants" neither
NEGATED: dict[str, tuple[str, ...]] = {
    "group_name": (
        "so-called islamic state",
        "self-proclaimed islamic state",
        "self-styled islamic state",
        "islamic state militants",
        "islamic state fighters",
        "islamic state group",
        "islamic state terrorists",
        "تنظيم الدوله",
        "تنظيم الدولة",
        "ما يسمى الدوله",
        "ما يسمى الدولة",
        "ما يسمى بالدوله",
        "ما يسمى بالدولة",
        "تنظيم الدوله الاسلاميه",
        "تنظيم الدولة الاسلامية",
        "ما يسمى الدولة الاسلامية",
        "ما يسمى بالدولة الاسلامية",
    ),
}

#: the characters counted by the ``quote`` and ``question`` cues and ``|`` of ``news``
CHARACTERS = {
    "quote": '"“”«»„‟',
    "question": "?؟",
    "news": "|",
}

_ARABIC_PROCLITICS = ("", "و", "ف", "ب", "ل", "ك", "وب", "ول", "وك", "فب", "فل")
_APOSTROPHES = ("'", "’")


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def _variants(entry: str) -> set[str]:
    """The spellings an entry matches (module docstring), normalised."""
    base = normalize(entry)
    out = {base, _strip_accents(base)}
    if "'" in base:
        out |= {v.replace("'", a) for v in list(out) for a in _APOSTROPHES}
    if "ة" in base:
        out |= {v.replace("ة", "ه") for v in list(out)}
    if base[:1] and "\u0600" <= base[0] <= "\u06ff":
        more = set()
        for v in out:
            more |= {p + v for p in _ARABIC_PROCLITICS}
            if v.startswith("ال"):
                more |= {p + "ل" + v[1:] for p in ("", "و", "ف")}
        out |= more
    return out


@dataclass(frozen=True)
class _Automaton:
    """The lexicons as one Aho-Corasick automaton (module docstring)."""

    symbols: npt.NDArray[np.int32]  # BMP code point -> symbol
    extra: npt.NDArray[np.int32]  # BMP code point -> cue counted per character, -1 none
    delta: npt.NDArray[np.int32]  # (states, symbols) -> next state
    out: npt.NDArray[np.float64]  # (states, cues): occurrences ending in the state
    has_out: npt.NDArray[np.bool_]  # (states,)


_BOUNDARY, _OTHER = 0, 1  # symbols: not a word character; a word character no entry uses


@functools.cache
def _automaton() -> _Automaton:
    classes = char_classes()
    patterns: dict[str, npt.NDArray[np.float64]] = {}
    for sign, lexicons in ((1.0, LEXICONS), (-1.0, NEGATED)):
        for cue, entries in lexicons.items():
            for entry in entries:
                prefix = entry.endswith("*")
                for v in _variants(entry.rstrip("*")):
                    # a pattern: boundary, the entry, and a boundary unless a prefix
                    key = " " + v + ("" if prefix else " ")
                    vec = patterns.setdefault(key, np.zeros(len(CUES)))
                    vec[CUES.index(cue)] = sign  # a spelling counts once per cue
    letters = sorted({c for p in patterns for c in p if classes[ord(c)] == 1})
    symbols = np.where(classes == 1, _OTHER, _BOUNDARY).astype(np.int32)
    for i, c in enumerate(letters):
        symbols[ord(c)] = i + 2
    n_sym = len(letters) + 2

    def encode(p: str) -> list[int]:
        out: list[int] = []
        for c in p:
            s = int(symbols[ord(c)]) if ord(c) < len(symbols) else _BOUNDARY
            if not (s == _BOUNDARY and out and out[-1] == _BOUNDARY):
                out.append(s)  # a run of non-word characters is one boundary
        return out

    # the trie
    goto: list[dict[int, int]] = [{}]
    outs: list[npt.NDArray[np.float64]] = [np.zeros(len(CUES))]
    for p, vec in patterns.items():
        s = 0
        for sym in encode(p):
            nxt = goto[s].get(sym)
            if nxt is None:
                nxt = len(goto)
                goto.append({})
                outs.append(np.zeros(len(CUES)))
                goto[s][sym] = nxt
            s = nxt
        outs[s] = outs[s] + vec
    # failure links breadth first, folded into a dense transition table
    n = len(goto)
    delta = np.zeros((n, n_sym), dtype=np.int32)
    out = np.array(outs)
    fail = np.zeros(n, dtype=np.int64)
    queue: list[int] = []
    for sym, nxt in goto[0].items():
        delta[0, sym] = nxt
        queue.append(nxt)
    head = 0
    while head < len(queue):
        s = queue[head]
        head += 1
        out[s] += out[fail[s]]
        delta[s] = delta[fail[s]]
        for sym, nxt in goto[s].items():
            fail[nxt] = delta[fail[s], sym]
            delta[s, sym] = nxt
            queue.append(nxt)
    extra = np.full(len(symbols), -1, dtype=np.int32)
    for cue, chars in CHARACTERS.items():
        for c in chars:
            extra[ord(c)] = CUES.index(cue)
    return _Automaton(symbols, extra, delta, out, np.any(out != 0, axis=1))


_KERNEL: Any = None


def _kernel() -> Any:
    """The compiled matching loop (numba), compiled on first use."""
    global _KERNEL
    if _KERNEL is not None:
        return _KERNEL
    import numba

    @numba.njit(cache=False, nogil=True)
    def run(
        codes: Any, offsets: Any, symbols: Any, extra: Any, delta: Any, out: Any, has_out: Any
    ) -> Any:
        n_docs = len(offsets) - 1
        n_cues = out.shape[1]
        lut = len(symbols)
        res = np.zeros((n_docs, n_cues))
        for d in range(n_docs):
            s = delta[0, 0]  # every text starts after a boundary
            prev = 0
            for i in range(offsets[d], offsets[d + 1]):
                c = codes[i]
                sym = 0
                if c < lut:
                    sym = symbols[c]
                    e = extra[c]
                    if e >= 0:
                        res[d, e] += 1.0
                if sym == 0 and prev == 0:
                    continue  # a run of non-word characters is one boundary
                prev = sym
                s = delta[s, sym]
                if has_out[s]:
                    for k in range(n_cues):
                        res[d, k] += out[s, k]
            if prev != 0:
                s = delta[s, 0]  # ... and ends before one
            if prev != 0 and has_out[s]:
                for k in range(n_cues):
                    res[d, k] += out[s, k]
        return res

    _KERNEL = run
    return run


def stance_counts(texts: Sequence[str], *, normalized: bool = False) -> npt.NDArray[np.float64]:
    """(posts, cues) occurrences of each cue of :data:`CUES` in each text;
    *normalized*: the texts are already normalised (``Post.text_norm``)."""
    if not texts:
        return np.zeros((0, len(CUES)))
    norm = list(texts) if normalized else normalize_many(texts)
    auto = _automaton()
    lengths = np.fromiter((len(t) for t in norm), dtype=np.int64, count=len(norm))
    offsets = np.zeros(len(norm) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    codes = np.frombuffer("".join(norm).encode("utf-32-le"), dtype=np.uint32)
    counts: npt.NDArray[np.float64] = _kernel()(
        codes, offsets, auto.symbols, auto.extra, auto.delta, auto.out, auto.has_out
    )
    # a negated phrase takes back what it matched, never more
    return np.maximum(counts, 0.0)


def stance_cues(
    texts: Sequence[str], *, normalized: bool = False
) -> dict[str, npt.NDArray[np.float64]]:
    """Cue name -> ``log(1 + occurrences)`` per text, for every cue of
    :data:`CUES` (module docstring); *normalized*: the texts are already
    normalised as the store does (``Post.text_norm``), which saves a pass."""
    counts = np.log1p(stance_counts(texts, normalized=normalized))
    return {cue: np.ascontiguousarray(counts[:, i]) for i, cue in enumerate(CUES)}
