"""A kill -9 of the sending process mid-batch loses and doubles nothing: the receiver counts by webhook-id."""
from __future__ import annotations

import os
import signal
import sys
import time

from controltower.api import webhook_store

from .receiver import Receiver
from .test_webhooks import ORDER_EVENTS, create_order

SENDER = """
import os, sys, keyring
from keyring.backend import KeyringBackend
from controltower.store import Database
from controltower.api.webhooks import WebhookService

class OneSecret(KeyringBackend):
    priority = 1
    def get_password(self, service, username): return os.environ["SECRET"]
    def set_password(self, *a): pass
    def delete_password(self, *a): pass

keyring.set_keyring(OneSecret())
hooks = WebhookService(Database(sys.argv[1]), batch=5)
while hooks.deliver_due()[0]:
    pass
"""


def test_a_kill_9_mid_batch_loses_and_doubles_nothing(core, child_processes):
    with Receiver(delay_s=0.03) as receiver:
        _id, receiver.secret = core.webhooks.subscribe(receiver.url, ORDER_EVENTS)
        for n in range(60):
            create_order(core, f"WEB-{n}")
        assert core.webhooks.collect() == 60
        sender = child_processes([sys.executable, "-c", SENDER, str(core.db.path)],
                                 env=os.environ | {"SECRET": receiver.secret})
        while sum(receiver.accepted.values()) < 20:
            assert sender.poll() is None, "the sender finished before it could be killed"
            time.sleep(0.005)
        os.kill(sender.pid, signal.SIGKILL)
        sender.wait()
        assert sum(receiver.accepted.values()) < 60
        core.webhooks.run_once()  # the app again, after the crash
        sent = {m.message_id for m in webhook_store.messages(core.db.reader())}
        assert len(sent) == 60 and set(receiver.accepted) == sent  # nothing lost, no event under a second id
        assert sum(receiver.accepted.values()) <= 61  # only the one in flight may come again, with its own id
        assert {m.state for m in webhook_store.messages(core.db.reader())} == {"delivered"}
