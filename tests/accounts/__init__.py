"""Tests of marsad.accounts."""
