"""The ``marsad`` command: thin verbs over library calls.

An edge of the system: it turns :class:`marsad.errors.MarsadError` into a
message on stderr and an exit code (0 ok, 1 failure, 2 bad usage or input,
3 missing optional dependency, 130 interrupted).  Output is for people by
default (rich tables, progress on stderr); ``--json`` prints machine-readable
JSON on stdout.

This module holds the :data:`main` group and registers every command on it;
the commands live one module per stage, in the order of the flow::

  common     the shared helpers (_run, _emit_json, err, out, --workspace, --json)
  workspace  init, info, export, import
  ingest     ingest, status
  simulate   simulate, demo
  census     census, report (and stage_sections, the later stages' report sections)
  detect     train, evaluate, scan, explain
  hashing    hash, bank, match, media
  accounts   accounts (and the account half of explain)
  review     queue, users, audit, serve (the team's review; :mod:`marsad.review`)
  act        refer, removals, check-urls, transparency (acting on decisions; :mod:`marsad.act`)
  act_learn  decisions, model (decisions teach the detectors: labelled data, banks, the model registry)

``marsad network`` and ``marsad lineage`` live with their stage
(:mod:`marsad.network.cli`, :mod:`marsad.accounts.cli`).
"""

from __future__ import annotations

import click

from marsad import __version__
from marsad.cli import (
    accounts,
    act,
    act_learn,
    census,
    detect,
    hashing,
    ingest,
    review,
    simulate,
    workspace,
)
from marsad.cli.census import stage_sections
from marsad.cli.common import _emit_json, _run, err, out
from marsad.cli.hashing import _SIGNAL_TYPES

#: main, and what other modules import from here: the stage CLIs of network
#: and accounts use the helpers, the tests stage_sections and _SIGNAL_TYPES
__all__ = ["_SIGNAL_TYPES", "_emit_json", "_run", "err", "main", "out", "stage_sections"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="marsad")
def main() -> None:
    """marsad (مرصد): an observatory for violent-extremist activity on social platforms.

    \b
    Example:
      marsad init
      marsad ingest ../shared/fixtures/x_api_v2_twarc/
      marsad info
    """


def _register_commands() -> None:
    """Every command on :data:`main` (``--help`` lists them by name).

    network and lineage come from their stage's package, imported here as before."""
    from marsad.accounts.cli import lineage_command
    from marsad.network.cli import network
    from marsad.spark.cli import spark

    for command in (
        workspace.init,
        ingest.ingest,
        ingest.status,
        workspace.info,
        workspace.export,
        workspace.import_,
        workspace.store,
        simulate.simulate,
        census.census,
        census.report,
        detect.train,
        detect.evaluate,
        detect.scan,
        hashing.hash_,
        hashing.bank,
        hashing.match,
        hashing.media,
        accounts.accounts,
        detect.explain,
        simulate.demo,
        network,
        lineage_command,
        review.queue,
        review.users,
        review.audit,
        review.serve,
        act.refer,
        act.removals,
        act.transparency,
        act.check_urls,
        act_learn.decisions,
        act_learn.model,
        spark,
    ):
        main.add_command(command)


_register_commands()
