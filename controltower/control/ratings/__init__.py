"""Ratings after delivery without a server: asked in the "delivered" message, read back from the SMS provider's
message list and the shop's mailbox, low scores followed up once and opened as cases."""
