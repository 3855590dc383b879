"""The ``spark-submit`` entry point of ``marsad spark``.

``spark-submit`` runs a Python file, not a console script; this is that file::

    spark-submit --master yarn --conf spark.executor.memory=8g \\
        "$(python -m marsad.spark.submit --path)" \\
        scan --input s3a://bucket/export --output s3a://bucket/scored

The arguments after the file are those of ``marsad spark`` (``scan``, ...);
without ``--master`` the session is the one ``spark-submit`` configured.
The executors need marsad installed (the same version as the driver), e.g.
from a packed virtual environment shipped with ``--archives`` (docs/spark.md).
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--path"]:
        print(__file__)
        return
    import marsad.cli  # noqa: F401 - first: it registers marsad.spark.cli among its commands
    from marsad.spark.cli import spark

    spark.main(args=args, prog_name="marsad spark")


if __name__ == "__main__":
    main()
