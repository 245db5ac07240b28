"""SorTree XML 1.0.0: streaming reader and writer of the SOR tree exchange format.

``read_sortree`` streams units out of a file, validating as it goes; ``write_sortree`` streams
units into one. Both work in flat memory and without the XSD files.
"""

from opensor.domain.sortree.errors import SorTreeError, SorTreeWriteError
from opensor.domain.sortree.reader import SorTreeHeader, SorTreeItem, SorTreeReader, read_sortree
from opensor.domain.sortree.writer import (
    SORTREE_EXTENSION_FIELDS,
    carry_over_extensions,
    carry_over_location_extensions,
    write_sortree,
)

__all__ = [
    "SORTREE_EXTENSION_FIELDS",
    "SorTreeError",
    "SorTreeHeader",
    "SorTreeItem",
    "SorTreeReader",
    "SorTreeWriteError",
    "carry_over_extensions",
    "carry_over_location_extensions",
    "read_sortree",
    "write_sortree",
]
