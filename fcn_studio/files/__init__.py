"""Files: atomic writes, temporaries and disk-full messages, lock files, and the identity of a
file's contents. The bottom of the package order: it imports nothing of fcn_studio but
``errors``, ``messages`` and ``environment``, so every layer above may use it."""
