"""Act: from a confirmed item to a removal, and from decisions back to the detectors.

The stage after review (:mod:`marsad.review`), built on its decisions and its
audit log, in the review database of the workspace (migration 7):

  referrals     a lead packages confirmed items per platform; export as CSV,
                JSON and a bilingual HTML summary; each item moves through
                sent -> acknowledged -> removed / still up / declined
  check         ``marsad check-urls``: a polite URL checker (per-host rate
                limits, retries, conditional requests) with per-platform
                rules of what a removed page looks like (``platform_rules.json``)
  removal       removals seen in what marsad ingests (suspended accounts,
                posts missing from a later export) and by the checker;
                time to removal with the census's survival estimate
  transparency  the transparency report, every figure replayed from the audit log
  decisions     reviewed items as labelled data for ``marsad train``, and
                confirmed / rejected media as hash banks
  registry      trained models, the active one, promotion only when not worse

Nothing here imports the shells (click, the web framework).
"""
