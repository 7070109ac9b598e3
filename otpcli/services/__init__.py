"""The services: settings, the journal, sessions, waiting, clean-up, names, spending.

They sit above the drivers and below the library and the CLI; they never print or exit.
"""
