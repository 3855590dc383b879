"""The policy: where a risk score becomes "flag for review" -- per language.

Part of the *detect* stage, and deliberately apart from the detectors
(STYLE.md: scores are turned into decisions elsewhere, as scikit-learn's
``IsolationForest`` separates ``score_samples`` from ``predict``).  A detector
says how likely a post is propaganda; the policy says from which score a
team wants to look, and that depends on the language -- the model is weaker
in some, and a team's tolerance for false positives differs from another's.

The default policy is the one the training chose by cross-validation and
stored in the model file (:mod:`marsad.detect.evaluate`: the middle of the
max-F1 plateau per language group, raised until the false-positive rate on hard negatives is at most
2%).  A team overrides it with a JSON file::

    {"thresholds": {"default": 0.9, "ar": 0.85}}

Language groups are ``ar`` (posts identified as Arabic) and ``default``
(everything else); a file may name any language code, which then takes
precedence over its group.  A key ending in ``+author`` (``ar+author``) is
the threshold for posts whose risk includes their author's context
(:mod:`marsad.detect.risk`): the same score means something else when the
author's other posts were weighed, and the training chooses both.  Without
such a key a post with context takes its group's plain threshold.  Values
outside (0, 1] are an error naming the file and the key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from marsad.errors import ConfigError

__all__ = ["AUTHOR_SUFFIX", "FLAG", "PASS", "Policy"]

FLAG = "flag"
PASS = "pass"
#: suffix of the thresholds for posts with author context
AUTHOR_SUFFIX = "+author"


@dataclass(frozen=True)
class Policy:
    """Thresholds by language code or group (``default`` is required)."""

    thresholds: dict[str, float]
    source: str = "model"

    def __post_init__(self) -> None:
        if "default" not in self.thresholds:
            raise ConfigError(f"{self.source}: a policy needs a 'default' threshold")
        for key, value in self.thresholds.items():
            if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= 1:
                raise ConfigError(
                    f"{self.source}: threshold {key!r} must be in (0, 1], got {value!r}"
                )

    def threshold(self, lang: str | None, *, with_author: bool = False) -> float:
        """The threshold for a post in *lang* (with author context or not): the
        language's own entries first (``fr+author``, ``fr``), then its group's
        (``ar+author``, ``ar``), then ``default``'s."""
        group = "ar" if lang == "ar" else "default"
        levels = [lang, group, "default"] if lang else [group, "default"]
        keys = [
            k
            for level in levels
            for k in ([f"{level}{AUTHOR_SUFFIX}"] if with_author else []) + [level]
        ]
        return next(self.thresholds[k] for k in keys if k in self.thresholds)

    def decide(self, score: float, lang: str | None, *, with_author: bool = False) -> str:
        """:data:`FLAG` when *score* is at or over its threshold, else :data:`PASS`."""
        return FLAG if score >= self.threshold(lang, with_author=with_author) else PASS

    @classmethod
    def load(cls, path: Path) -> Policy:
        """A policy file (module docstring)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(
                f"{path}: cannot read the policy file ({exc.strerror or exc})"
            ) from exc
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not a JSON policy file ({exc})") from exc
        if not isinstance(data, dict) or not isinstance(data.get("thresholds"), dict):
            raise ConfigError(f'{path}: expected {{"thresholds": {{"default": 0.9, "ar": 0.85}}}}')
        return cls(dict(data["thresholds"]), str(path))
