"""Bundled reference tables: countries (ISO codes, names, dialling codes and the
sms-activate family's country ids) and well-known service codes."""
