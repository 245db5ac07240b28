"""OpenSOR: an open national healthcare organisation register.

The package is laid out along the data flow: ``domain`` (pure rules and formats) →
``register`` (the versioned write side, Django) → ``publication`` (immutable nightly read
models) → ``lookup`` (the read service); ``cli`` ties them together as the ``sor`` command.
"""

__version__ = "0.1.0"
