"""A real SMTP server on 127.0.0.1 (aiosmtpd), for the tests and benchmarks that send mail.

Django's SMTP backend talks to it as to the production relay; what it received is read back
as parsed messages: `server.messages[0]["To"]`, `server.messages[0].get_content()`.
"""

import email
import email.policy
import socket
import threading

from aiosmtpd.controller import Controller


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


class SMTPServer:
    def __init__(self):
        self.recorder = Recorder()
        self.port = free_port()
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()
        # aiosmtpd leaves its loop open, which warnings-as-errors would report.
        self.controller.loop.close()

    @property
    def envelopes(self):
        with self.recorder.lock:
            return list(self.recorder.envelopes)

    @property
    def messages(self):
        return [
            email.message_from_bytes(envelope.original_content, policy=email.policy.default)
            for envelope in self.envelopes
        ]

    def clear(self):
        with self.recorder.lock:
            self.recorder.envelopes.clear()

    def mailers(self):
        """The MAILERS setting that sends through this server."""
        return {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": self.port, "timeout": 10},
            }
        }
