"""Maintainers' writes to the register: one service call per operation.

Each operation runs in one transaction, checks the actor's permission first (refusing with
:class:`~opensor.register.maintenance.errors.Forbidden` before the request is examined), then
the version the write was based on (``If-Match``), then validates, records the new versions
and writes one audit event per unit or location number it touches.
"""
