"""An operating-system error while writing the store is named for what it is: disk full, read-only, no permission."""
import errno
from pathlib import Path

import pytest

from controltower.store import problems

STORE = Path("/home/shop/ControlTower/store.db")


@pytest.mark.parametrize("code, named", [
    (errno.ENOSPC, problems.DiskFull), (errno.EDQUOT, problems.DiskFull), (errno.EFBIG, problems.DiskFull),
    (errno.EROFS, problems.StoreReadOnly), (errno.EACCES, problems.NoPermission), (errno.EPERM, problems.NoPermission),
])
def test_an_os_error_is_named_for_what_it_is(code, named):
    problem = problems.translate(OSError(code, "the system's words"), STORE)
    assert type(problem) is named
    assert str(STORE) in str(problem) or STORE.name in str(problem)


def test_an_os_error_it_does_not_know_is_passed_on_as_it_is():
    error = OSError(errno.EINTR, "interrupted")
    assert problems.translate(error, STORE) is error
