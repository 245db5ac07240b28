"""SorTree XML 1.0.0: streaming reader and writer of the SOR tree exchange format.

``read_sortree`` streams units out of a file, validating as it goes; ``write_sortree`` streams
units into one, ``write_sortree_pair`` into a complete and a public one in the same pass. All
work in flat memory and without the XSD files.
"""

from opensor.domain.sortree.errors import SorTreeError, SorTreeWriteError
from opensor.domain.sortree.pair import SortreePairCounts, write_sortree_pair
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
    "SortreePairCounts",
    "carry_over_extensions",
    "carry_over_location_extensions",
    "read_sortree",
    "write_sortree",
    "write_sortree_pair",
]
