"""The daily digest: compose (query the store), render (templates), deliver (SMTP or outbox)."""
