"""The ``fazhi`` command line: a thin layer over the three packages (``indexer`` writes the index, ``search``
reads it, ``web`` serves it), the way sqlite-utils' CLI sits over its library. It lives outside them because it
depends on all three and none of them on it."""
