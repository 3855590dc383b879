"""The *detect* stage: detectors that score posts, and the tools to train and evaluate them.

``base`` (the detector contract), ``indicators`` (the indicator registry) and
``indicator_detector``, ``features`` and ``classifier`` (the text
classifier), ``context`` (scripture quotations), ``risk`` and ``scorer``
(the risk score), ``policy`` (thresholds per language), ``datasets``,
``evaluate`` and ``card`` (training, cross-validation, model cards), ``scan``
(scoring a workspace) and ``explain``.
"""
