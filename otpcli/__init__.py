"""otpcli: buy virtual numbers and temporary e-mail, get the one-time code.

Importing this package must stay cheap: `otp --version` reads only `__version__`.
"""

__version__ = "0.1.0"
