"""Turning incident changes into messages and getting them to people: render per channel, send, classify.

`message` is the plain-data view every channel renders; `webhook`, `slack` and `email` render and send it;
`outcome` says what an attempt's result means (delivered, retry later, failed, gone). Nothing here touches
the database: the app's delivery worker claims deliveries from the outbox and hands them down.
"""
