"""The ``sor`` command: one module per verb group, each a thin call into the services."""
