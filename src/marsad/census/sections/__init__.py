"""The sections of the census, one module each: its SQL and the Python that shapes it.

Part of the *census* stage: :func:`marsad.census.compute.run_census` sets up a
:class:`~marsad.census.sections.base.Census` (the posts and accounts in scope,
as temporary tables of the workspace's DuckDB connection) and calls each
section's function on it, in this order:

``size``       accounts by status; new accounts, first sightings, suspensions
               and active accounts per day, week and month
``accounts``   followers / following / posts at a date (Snapshots), posts per
               day, the hyperactive core, bursts of volume
``devices``    clients, languages (of posts and of accounts), geolocation,
               account age at observation, creation waves
``content``    top and rising hashtags with their series, mentions, domains
``outlets``    media outlets (registry) per month with month-over-month change,
               cross-platform outlinks
``survival``   Kaplan–Meier time from creation to suspension, censored right
``migration``  share of posts and of outlinks by platform over time
``campaigns``  counter-messaging campaigns against the network's own hashtags

A section is a function ``(census: Census) -> CensusSection``, as the later
stages' sections are (:mod:`marsad.network.sections`,
:mod:`marsad.accounts.sections`, which the report adds after these).  It reads
only what :meth:`Census.setup <marsad.census.sections.base.Census.setup>`
made, never another section's tables, so any subset runs in any order; the
temporary tables it makes itself are named ``_c_*``.  With ``headline`` it
skips the queries of tables the headline statistics do not need
(:meth:`Census.want <marsad.census.sections.base.Census.want>`) and returns
them empty.  :mod:`~marsad.census.sections.common` holds the labels and
number formats several sections share; :mod:`~marsad.census.sections.meta`
the meta block the census opens with.
"""
