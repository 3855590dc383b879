"""``python -m marsad.cli``: the same command as the ``marsad`` script."""

from __future__ import annotations

from marsad.cli import main

if __name__ == "__main__":  # pragma: no cover
    main()
