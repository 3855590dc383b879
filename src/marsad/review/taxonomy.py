"""The policy taxonomy a decision is made in, shipped as data (``taxonomy.json``).

A team can use its own file of the same shape (``MARSAD_TAXONOMY``); marsad
checks every decision against it: a confirmation names a category and an
entity, a rejection a reason, an escalation neither.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from marsad.errors import ConfigError, ReviewError

__all__ = ["FORMAT", "Taxonomy"]

FORMAT = "marsad-review-taxonomy/1"


@dataclass(frozen=True)
class Taxonomy:
    categories: dict[str, dict[str, str]]
    reject_reasons: dict[str, dict[str, str]]
    entities: dict[str, dict[str, str]]
    source: str

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> Taxonomy:
        path = path or os.environ.get("MARSAD_TAXONOMY") or None
        if path:
            source = str(path)
            try:
                data = json.loads(Path(path).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ConfigError(f"cannot read the taxonomy {source}: {exc}") from exc
        else:
            source = "marsad/review/taxonomy.json"
            data = json.loads(
                resources.files("marsad.review").joinpath("taxonomy.json").read_text("utf-8")
            )
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ConfigError(f"{source}: not a marsad taxonomy (format {FORMAT!r})")

        def table(key: str) -> dict[str, dict[str, str]]:
            items = data.get(key)
            if not isinstance(items, list) or not items:
                raise ConfigError(f"{source}: {key!r} must be a non-empty list")
            out: dict[str, dict[str, str]] = {}
            for i, item in enumerate(items):
                if not (
                    isinstance(item, dict)
                    and all(isinstance(item.get(k), str) and item[k] for k in ("id", "en", "ar"))
                ):
                    raise ConfigError(f"{source}: {key}[{i}] needs id, en and ar texts")
                out[item["id"]] = {"en": item["en"], "ar": item["ar"]}
            return out

        return cls(table("categories"), table("reject_reasons"), table("entities"), source)

    def check(
        self,
        decision: str,
        category: str | None,
        entity: str | None,
        reason: str | None,
    ) -> tuple[str, str | None, str | None, str | None]:
        """The decision's fields as stored, or a :class:`ReviewError` saying what is wrong."""
        category = category or None
        entity = entity or None
        reason = reason or None
        if decision == "confirm":
            if category not in self.categories:
                raise ReviewError(
                    f"a confirmation needs a category: one of {', '.join(self.categories)}"
                )
            if entity not in self.entities:
                raise ReviewError(
                    f"a confirmation needs an entity: one of {', '.join(self.entities)}"
                )
            return decision, category, entity, None
        if decision == "reject":
            if reason not in self.reject_reasons:
                raise ReviewError(
                    f"a rejection needs a reason: one of {', '.join(self.reject_reasons)}"
                )
            return decision, None, None, reason
        if decision == "escalate":
            return decision, None, None, None
        raise ReviewError(f"decision {decision!r}: confirm, reject or escalate")

    def as_dict(self) -> dict[str, Any]:
        return {
            "categories": self.categories,
            "reject_reasons": self.reject_reasons,
            "entities": self.entities,
        }
