"""The mail outbox: every mail is a row first, sent by the worker, retried, never lost."""
