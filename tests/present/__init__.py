"""Tests of shared.present."""
