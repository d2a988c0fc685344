"""Exactly once across a crash: the sender process is SIGKILLed mid-batch, twice, and restarted; every customer gets one message."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from controltower.control.notify import enqueue

from control_facts import Facts
from fake_services import FakeTwilio, MailServer

HERE = Path(__file__).resolve().parent


def run_sender(db_path: Path, keyring_file: Path, pids: list[int]) -> int:
    env = dict(os.environ, PYTHONPATH=f"{HERE}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
               PYTHON_KEYRING_BACKEND="file_keyring.FileKeyring", CT_TEST_KEYRING_FILE=str(keyring_file))
    child = subprocess.Popen([sys.executable, "-m", "controltower.control.notify.sender", "--db", str(db_path), "--once"], env=env)
    pids.append(child.pid)
    return child.wait(timeout=60)


def test_kill_mid_batch_and_restart_sends_each_message_once(store, tmp_path):
    f = Facts(store)
    customers = [(f"c{n}@example.com", f"+1415555{2670 + n}") for n in range(4)]
    for email, phone in customers:
        order = f.order(email=email, phone=phone)
        with store.transaction() as conn:
            enqueue(conn, order, "booked", dedup_key=f"booked:{order}")
    keyring_file = tmp_path / "keyring.json"
    keyring_file.write_text(json.dumps({"ControlTower|smtp:password": "s3cret", "ControlTower|twilio:auth_token": "tok"}))
    pids: list[int] = []

    def kill_sender(*_):
        os.kill(pids[-1], signal.SIGKILL)

    def kill_during_data(n):
        if n == 2:  # the sender dies while the mail is still being transferred: the server never accepts it
            kill_sender()
            raise ConnectionAbortedError("client gone before the end of DATA")

    with MailServer(tmp_path, login=("rosie", "s3cret")) as mail, FakeTwilio() as twilio:
        for key, value in {"notify.smtp.host": "127.0.0.1", "notify.smtp.port": str(mail.port), "notify.smtp.from": "shop@x.example",
                           "notify.smtp.username": "rosie", "notify.smtp.ca_file": str(mail.cert),
                           "notify.twilio.account_sid": twilio.account_sid, "notify.twilio.from": "+15005550006",
                           "notify.twilio.base_url": twilio.base_url}.items():
            store.set_setting(key, value)
        # First run: killed while the mail server holds the 2nd mail, before accepting it.
        mail.before_accept = kill_during_data
        assert run_sender(store.path, keyring_file, pids) == -signal.SIGKILL
        mail.before_accept = None
        # Second run: killed right after Twilio took an SMS, before the sender could record it.
        twilio.after_accept = lambda n: kill_sender() if n == 2 else None
        assert run_sender(store.path, keyring_file, pids) == -signal.SIGKILL
        twilio.after_accept = None
        assert run_sender(store.path, keyring_file, pids) == 0

    assert sorted(str(m["To"]) for m in mail.received) == [email for email, _ in customers]
    assert sorted(m["to"] for m in twilio.messages) == [phone for _, phone in customers]
    assert dict(store.query("SELECT status, count(*) FROM notifications GROUP BY status")) == {"sent": 8}
    notes = [r[0] for r in store.query("SELECT note FROM notifications WHERE note != ''")]
    assert any("confirmed with the provider" in n for n in notes)
