"""The version of otpcli: a leaf module any layer may read (`otp --version`, the HTTP
User-Agent) without importing the package root, which re-exports the library."""

__version__ = "0.1.0"
