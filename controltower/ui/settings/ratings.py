"""Settings > Customer ratings: the mailbox where customers' email replies arrive (SMS replies are read from the
Twilio account of Email and SMS); the password goes to the keychain."""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QSpinBox

from ...services.ratings import MailboxSettings
from ..setup.pages import SetupPage


class RatingsPage(SetupPage):
    key, title_text = "ratings", "Customer ratings"
    subtitle_text = ("Customers who agreed to be asked get \"How did we do? Reply 1-5\" with their delivered message. "
                     "Their replies are read from your SMS account and from this mailbox every two minutes; a score of 1 "
                     "or 2 asks one follow-up question and opens a case.")

    def __init__(self, core, parent=None) -> None:
        super().__init__(core, parent)
        self.ratings = core.ratings
        form = QFormLayout()
        self.host, self.username, self.folder, self.ca_file = QLineEdit(), QLineEdit(), QLineEdit(), QLineEdit()
        self.host.setPlaceholderText("imap.example.com (empty: email replies are not read)")
        self.ca_file.setPlaceholderText("only for a server with its own certificate authority")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.security = QComboBox()
        for text, value in (("SSL (port 993)", "ssl"), ("STARTTLS (port 143)", "starttls"), ("None", "none")):
            self.security.addItem(text, value)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        for label, edit in (("Mail server (IMAP)", self.host), ("Port", self.port), ("Security", self.security),
                            ("User name", self.username), ("Password", self.password), ("Folder", self.folder),
                            ("Certificate authority file", self.ca_file)):
            form.addRow(label, edit)
        self.layout_.addLayout(form)
        note = QLabel("The mailbox is only read: nothing is marked read, moved or deleted.")
        note.setWordWrap(True)
        self.layout_.addWidget(note)
        self.finish_layout()
        self.load()

    def load(self) -> None:
        mailbox = self.ratings.mailbox()
        self.host.setText(mailbox.host)
        self.port.setValue(mailbox.port)
        self.security.setCurrentIndex(max(0, self.security.findData(mailbox.security)))
        self.username.setText(mailbox.username)
        self.folder.setText(mailbox.folder)
        self.ca_file.setText(mailbox.ca_file)
        self.password.setPlaceholderText("saved; type to replace" if mailbox.password_saved else "")

    def save(self) -> None:
        settings = MailboxSettings(self.host.text().strip(), self.port.value(), self.security.currentData(),
                                   self.username.text().strip(), self.folder.text().strip() or "INBOX",
                                   self.ca_file.text().strip())
        self.ratings.save_mailbox(settings, password=self.password.text())
        self.password.clear()
        self.load()
