"""From scenarios and figures documents to the terminal, Markdown and HTML.

``sources`` cuts the impl modules into sections, ``show`` puts them side by
side; ``bench``, ``load``, ``hurts`` and ``newer_python`` (two bench files from
two interpreters) turn figures documents into tables (``shared.tables``) and
charts (``charts``); ``report`` builds the static site and ``docs`` the
generated blocks of the README and docs/. Presenting never measures again.
"""
