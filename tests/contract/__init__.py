"""Tests of shared.contract."""
