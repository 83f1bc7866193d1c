"""Ralph's LRS application for the tests, with one change: its file-system backend appends.

Ralph 5.1's file-system LRS backend (its only backend that needs no database server) writes each batch
with the CREATE operation, which refuses an existing file: every POST after the first answers 500. Setting
its default operation to APPEND makes it store batch after batch; the statement API itself (validation,
Basic auth, the 409 on conflicting ids, 204 when all are already stored) is Ralph's, unchanged.
"""

from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend

FSLRSBackend.default_operation_type = BaseOperationType.APPEND

from ralph.api import app  # noqa: E402  (imported after the backend is adjusted)

__all__ = ["app"]
