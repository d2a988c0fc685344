"""A store that checks itself: a file that can't be trusted is refused before anything writes to it, in words."""
import os
import sqlite3
import stat

import pytest
from store_faults import add_orders

from controltower.store import Database, SchemaTooNew, health, latest_version
from controltower.store.problems import DiskFull, StoreDamaged, StoreOnNetworkDrive, StoreProblem, StoreReadOnly


@pytest.fixture
def sound_store(tmp_path):
    """A closed store of 3,000 orders (about 1.5 MB): one file, nothing in -wal."""
    db = Database(tmp_path / "shop.db")
    add_orders(db, 3000)
    db.close()
    return tmp_path / "shop.db"


def random_bytes_in_the_middle(path):
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 8192] = os.urandom(8192)
    path.write_bytes(bytes(data))


def cut_in_half(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def emptied(path):
    path.write_bytes(b"")


def junk(path):
    path.write_bytes(os.urandom(40_000))


@pytest.mark.parametrize("damage, words", [(random_bytes_in_the_middle, "integrity check"),
                                           (cut_in_half, "malformed|integrity check"),
                                           (emptied, r"empty \(0 bytes\)"),
                                           (junk, "not an SQLite database")])
def test_a_damaged_store_is_refused_and_never_written_to(sound_store, damage, words):
    damage(sound_store)
    before = sound_store.read_bytes()
    with pytest.raises(StoreDamaged, match=words) as refused:
        Database(sound_store)
    assert str(refused.value).startswith("The store is damaged:") and "\n" not in str(refused.value)
    assert sound_store.read_bytes() == before  # an empty file did not become an empty store
    assert not (sound_store.parent / "shop.db-wal").exists()


def test_a_newer_store_is_refused_before_it_is_switched_to_wal(sound_store):
    conn = sqlite3.connect(sound_store)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
    conn.close()
    before = sound_store.read_bytes()
    with pytest.raises(SchemaTooNew, match="nothing was changed"):
        Database(sound_store)
    assert sound_store.read_bytes() == before  # header bytes 18-19 still say "rollback journal", not WAL
    assert before[18:20] == b"\x01\x01"


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_read_only_store_says_so(sound_store, what):
    target = sound_store if what == "file" else sound_store.parent
    mode = target.stat().st_mode
    os.chmod(target, stat.S_IMODE(mode) & ~0o222)
    try:
        with pytest.raises(StoreReadOnly, match="The store is read-only: .*not writable"):
            Database(sound_store)
    finally:
        os.chmod(target, stat.S_IMODE(mode))


def test_damage_found_by_the_full_check_stops_every_write(sound_store):
    db = Database(sound_store)
    with open(sound_store, "r+b") as file:  # a disk fault behind the app's back
        file.seek(sound_store.stat().st_size // 2)
        file.write(os.urandom(8192))
    with pytest.raises(StoreDamaged):
        db.full_check()
    with pytest.raises(StoreDamaged):
        add_orders(db, 1, prefix="AFTER")
    db.close()


def test_a_full_disk_is_named_and_the_failed_transaction_leaves_nothing(store):
    add_orders(store, 10)
    pages = store.scalar("PRAGMA page_count")
    store.conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # the disk has room for two more pages
    with pytest.raises(DiskFull, match="The disk is full") as full:
        add_orders(store, 2000, prefix="BIG")
    assert "cannot rollback" not in str(full.value)
    assert isinstance(full.value, sqlite3.OperationalError)  # callers catching SQLite's error still catch it
    assert store.scalar("SELECT count(*) FROM orders WHERE order_ref LIKE 'BIG%'") == 0
    add_orders(store, 1, prefix="SMALL")  # the store carries on once there is room
    assert store.scalar("SELECT count(*) FROM orders") == 11


def test_after_a_big_write_the_log_is_folded_into_the_file(store):
    store.reader().execute("SELECT count(*) FROM orders").fetchone()  # an idle reader, as the UI keeps
    add_orders(store, 6000)
    assert os.path.getsize(f"{store.path}-wal") == 0
    copy = sqlite3.connect(store.path.with_name("copy.db"))
    sqlite3.connect(f"file:{store.path}?mode=ro", uri=True).backup(copy)
    assert copy.execute("SELECT count(*) FROM orders").fetchone()[0] == 6000


# ------------------------------------------------------------------------------------------- network drives
LINUX_MOUNTS = r"""/dev/sda1 / ext4 rw,relatime 0 0
nas:/export/shop /mnt/shop nfs4 rw,relatime 0 0
//nas/Office /mnt/office\040share cifs rw 0 0
me@host:/home/me /home/me/remote fuse.sshfs rw 0 0
/dev/sdb1 /mnt/usb vfat rw 0 0
"""
MAC_MOUNTS = """/dev/disk3s1s1 on / (apfs, sealed, local, read-only, journaled)
//me@nas._smb._tcp.local/Shop on /Volumes/Shop (smbfs, nodev, nosuid, mounted by me)
/dev/disk4s1 on /Volumes/USB (msdos, local, nodev, nosuid, noowners)
"""


@pytest.mark.parametrize("path, expected", [("/mnt/shop/controltower.db", "nfs4"),
                                            ("/mnt/office share/sub/controltower.db", "cifs"),
                                            ("/home/me/remote/controltower.db", "fuse.sshfs"),
                                            ("/mnt/usb/controltower.db", None), ("/home/me/controltower.db", None)])
def test_network_drives_are_told_from_the_linux_mount_table(path, expected):
    mounts = health.parse_proc_mounts(LINUX_MOUNTS)
    assert ("/mnt/office share", "cifs") in mounts  # \040 is a space in /proc/mounts
    assert health.network_drive(path, platform="linux", mounts=mounts) == expected


def test_network_drives_are_told_on_macos_and_windows():
    mounts = health.parse_mac_mount(MAC_MOUNTS)
    assert health.network_drive("/Volumes/Shop/controltower.db", platform="darwin", mounts=mounts) == "smbfs"
    assert health.network_drive("/Volumes/USB/controltower.db", platform="darwin", mounts=mounts) is None
    assert health.network_drive(r"\\nas\shop\controltower.db", platform="win32") == "a Windows network share"


def test_a_store_on_a_network_drive_is_refused_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.setattr(health, "mount_table", lambda platform=None: [("/", "ext4"), (str(tmp_path), "nfs4")])
    with pytest.raises(StoreOnNetworkDrive, match=r"network drive \(nfs4\).*locks") as refused:
        Database(tmp_path / "shop.db")
    assert isinstance(refused.value, StoreProblem)
    assert not (tmp_path / "shop.db").exists()


def test_the_real_mount_table_puts_this_folder_on_a_local_disk(tmp_path):
    assert health.network_drive(tmp_path) is None
